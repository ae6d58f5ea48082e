"""/minutes/verify gives ONE consistent verdict per file (valid / not fully signed / modified after signing /
untrusted signer / not signed), and the certificate's verdict does not depend on the document: the same
certificate is trusted on an intact and on a tampered file, and a byte changed in the signed range is "modified",
never "changed: no"."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from ledger.keystore import KeyStore, ensure_demo_signers
from minutes.signing import VerificationReport, verify_pdf
from tests.test_signing import CHAIR, SECRETARY, _change_content, _sign
from tests.test_signing import by_secretary, keys, pdf, store  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def both(by_secretary: bytes, store: KeyStore) -> bytes:
    return _sign(by_secretary, store, CHAIR, "ChuToa")


def _flip(pdf: bytes, at: int) -> bytes:
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _consistent(report: VerificationReport) -> None:
    """No signature says "unchanged" while another line says its content was modified, and ok == verdict."""
    assert report.ok == (report.verdict == "valid")
    for sig in report.signatures:
        assert sig.modified_after_signing or (sig.intact and sig.valid)
        assert sig.ok == (not sig.modified_after_signing and sig.trusted and not sig.problems)


def test_intact_file_is_valid(both: bytes, store: KeyStore) -> None:
    report = verify_pdf(both, store.trusted_roots())
    _consistent(report)
    assert report.verdict == "valid" and [s.trusted for s in report.signatures] == [True, True]
    assert not any(s.modified_after_signing for s in report.signatures)


def test_minutes_signed_by_the_secretary_alone_are_not_called_valid(
    by_secretary: bytes, both: bytes, store: KeyStore
) -> None:
    alone = verify_pdf(by_secretary, store.trusted_roots())
    _consistent(alone)
    assert alone.verdict == "incomplete" and alone.unsigned_fields == ["ChuToa"] and "chưa được ký đủ" in alone.summary
    assert [s.ok for s in alone.signatures] == [True]  # the secretary's own signature is fine
    assert verify_pdf(both, store.trusted_roots()).unsigned_fields == []


@pytest.mark.parametrize("where", ["content", "producer"])
def test_a_changed_byte_is_modified_and_trust_does_not_flip(both: bytes, store: KeyStore, where: str) -> None:
    at = both.index(b"stream", 2000) + 40 if where == "content" else both.index(b"/Producer") + 12
    report = verify_pdf(_flip(both, at), store.trusted_roots())
    _consistent(report)
    assert report.verdict == "modified" and "thay đổi sau khi ký" in report.summary
    assert all(s.modified_after_signing and not s.ok for s in report.signatures)
    assert [s.trusted for s in report.signatures] == [True, True]  # same certificates, same answer as intact


def test_an_incremental_update_is_modified(both: bytes, store: KeyStore) -> None:
    w = IncrementalPdfFileWriter(io.BytesIO(both))
    _change_content(w)
    out = io.BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue(), store.trusted_roots())
    _consistent(report)
    assert report.verdict == "modified" and all(s.modified_after_signing for s in report.signatures)


def test_another_ca_is_untrusted_on_intact_and_tampered_files_alike(
    tmp_path: Path, pdf: bytes, store: KeyStore
) -> None:
    other = tmp_path / "other-keys"
    ensure_demo_signers(other, [SECRETARY], "demo")
    signed = _sign(pdf, KeyStore(other), SECRETARY, "ThuKy")
    intact = verify_pdf(signed, store.trusted_roots())
    _consistent(intact)
    assert intact.verdict == "untrusted" and not intact.signatures[0].modified_after_signing
    tampered = verify_pdf(_flip(signed, signed.index(b"stream", 2000) + 40), store.trusted_roots())
    _consistent(tampered)
    assert tampered.verdict == "modified"  # worst first: a modified file is modified, whoever signed it
    assert [s.trusted for s in tampered.signatures] == [s.trusted for s in intact.signatures] == [False]


def test_not_signed(pdf: bytes, store: KeyStore) -> None:
    report = verify_pdf(pdf, store.trusted_roots())
    assert report.verdict == "not_signed" and not report.ok and report.signatures == []
