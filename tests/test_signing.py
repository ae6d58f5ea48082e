"""Minutes signatures: demo CA key store, PAdES signing (secretary, then chair) and verification with pyHanko's
validator, the demo CA as trust root."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from core.errors import Conflict, Forbidden, ValidationFailed
from minutes import signing
from ledger.keystore import KeyStore, create_demo_ca, ensure_demo_signers, issue_certificate
from minutes.pdf import render_pdf
from minutes.signing import sign_pdf, verify_pdf
from tests.test_minutes_pdf import sample, text_of

SECRETARY = ("vanphong", "Nguyễn Thị Lan Anh", "Vụ trưởng Văn phòng Chính phủ")
CHAIR = ("thutuong", "Nguyễn Văn Thành", "Thủ tướng Chính phủ")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "keys"
    ensure_demo_signers(path, [SECRETARY, CHAIR], "demo")
    return path


@pytest.fixture(scope="module")
def store(keys: Path) -> KeyStore:
    return KeyStore(keys)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf(sample())


def _sign(pdf: bytes, store: KeyStore, who: tuple[str, str, str], field: str, password: str = "demo") -> bytes:
    return sign_pdf(
        pdf,
        store=store,
        user_id=who[0],
        password=password,
        field_name=field,
        reason="Ký biên bản phiên họp",
        location="Hà Nội",
        signer_name=who[1],
    )


@pytest.fixture(scope="module")
def by_secretary(pdf: bytes, store: KeyStore) -> bytes:
    return _sign(pdf, store, SECRETARY, "ThuKy")


def test_demo_certificates_carry_vietnamese_names_and_signing_usages(keys: Path, store: KeyStore) -> None:
    cert = store.certificate("vanphong")
    assert cert is not None
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Thị Lan Anh"
    assert cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Vụ trưởng Văn phòng Chính phủ"
    assert cert.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Văn phòng Chính phủ (demo)"
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment and not ku.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36") in eku  # RFC 9336 documentSigning
    assert cert.not_valid_before_utc < cert.not_valid_after_utc
    assert [r.subject for r in store.trusted_roots()] == [create_demo_ca(keys).cert.subject]


def test_demo_setup_is_idempotent(keys: Path, store: KeyStore) -> None:
    before = {p: p.read_bytes() for p in keys.rglob("*") if p.is_file()}
    ensure_demo_signers(keys, [SECRETARY, CHAIR], "demo")
    assert {p: p.read_bytes() for p in keys.rglob("*") if p.is_file()} == before
    assert store.has_certificate("thutuong") and not store.has_certificate("nobody")


def test_no_private_key_is_stored_in_the_clear(keys: Path, store: KeyStore) -> None:
    key, _, _ = pkcs12.load_key_and_certificates(store.unseal_pkcs12("vanphong", "demo"), b"demo")
    scalar = key.private_numbers().private_value.to_bytes(32, "big")  # type: ignore[union-attr]
    for path in keys.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert scalar not in data and b"PRIVATE KEY" not in data, path
            if path.suffix == ".sealed":
                with pytest.raises(ValueError):
                    pkcs12.load_key_and_certificates(data, None)


def test_signed_once_is_valid_trusted_and_names_the_signer(by_secretary: bytes, store: KeyStore) -> None:
    report = verify_pdf(by_secretary, store.trusted_roots())
    # valid as far as it goes: the chair's block is still empty (tests/test_record_verify.py)
    assert report.verdict == "incomplete" and report.summary == signing.VERDICTS["incomplete"]
    (sig,) = report.signatures
    assert sig.ok
    assert (sig.intact, sig.valid, sig.trusted, sig.covers_whole_document, sig.modified_after_signing) == (
        True,
        True,
        True,
        True,
        False,
    )
    assert sig.signer_name == "Nguyễn Thị Lan Anh" and "Vụ trưởng" in sig.signer_subject
    assert sig.certification and sig.signing_time is not None and sig.field_name == "ThuKy"
    assert "Nguyễn Văn Thành" in " ".join(text_of(by_secretary)[0].split())  # still an ordinary, readable PDF


def test_chair_after_secretary_keeps_the_first_signature_valid(by_secretary: bytes, store: KeyStore) -> None:
    both = _sign(by_secretary, store, CHAIR, "ChuToa")
    assert both.startswith(by_secretary)  # an incremental update: the secretary's bytes are untouched
    report = verify_pdf(both, store.trusted_roots())
    assert report.ok, report
    first, second = report.signatures
    assert first.signer_name == "Nguyễn Thị Lan Anh" and second.signer_name == "Nguyễn Văn Thành"
    assert first.intact and first.valid and first.trusted
    assert not first.covers_whole_document and not first.modified_after_signing
    assert first.modification_level == "FORM_FILLING" and first.summary == signing.LATER_SIGNATURES
    assert second.covers_whole_document and second.summary == "Hợp lệ" and not second.certification


def test_one_byte_changed_in_the_signed_range_is_invalid(by_secretary: bytes, store: KeyStore) -> None:
    at = by_secretary.index(b"stream", 2000) + 40  # inside a page's compressed content: still parses
    tampered = by_secretary[:at] + bytes([by_secretary[at] ^ 0x01]) + by_secretary[at + 1 :]
    report = verify_pdf(tampered, store.trusted_roots())
    (sig,) = report.signatures
    assert not report.ok and not sig.intact and not sig.ok
    assert signing.BROKEN in sig.summary


def _add_annotation(w: IncrementalPdfFileWriter) -> None:
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (100, 100, 120, 120)]),
            generic.NameObject("/Contents"): generic.TextStringObject("Sửa sau khi ký"),
        }
    )
    w.register_annotation(page_ref, w.add_object(annot))


def _change_info(w: IncrementalPdfFileWriter) -> None:
    w.set_info(generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject("Biên bản khác")}))


def _change_content(w: IncrementalPdfFileWriter) -> None:
    page = w.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 12 Tf 100 100 Td (Khac) Tj ET")
    page[generic.NameObject("/Contents")] = w.add_object(stream)
    w.update_container(page)


@pytest.mark.parametrize("change", [_add_annotation, _change_info, _change_content])
def test_an_incremental_update_after_signing_is_flagged(by_secretary: bytes, store: KeyStore, change) -> None:
    w = IncrementalPdfFileWriter(io.BytesIO(by_secretary))
    change(w)
    out = io.BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue(), store.trusted_roots())
    (sig,) = report.signatures
    assert sig.intact and sig.valid  # the signed revision itself is untouched...
    assert sig.modified_after_signing and not sig.ok and not report.ok  # ...but the document is not what was signed
    assert signing.MODIFIED in sig.summary


def test_a_certificate_from_another_ca_is_untrusted(tmp_path: Path, pdf: bytes, store: KeyStore) -> None:
    other = tmp_path / "other-keys"
    ensure_demo_signers(other, [SECRETARY], "demo")
    signed = _sign(pdf, KeyStore(other), SECRETARY, "ThuKy")
    (sig,) = verify_pdf(signed, store.trusted_roots()).signatures
    assert sig.intact and sig.valid and not sig.trusted and not sig.ok
    assert sig.summary == signing.UNTRUSTED and sig.signer_name == "Nguyễn Thị Lan Anh"
    # the same file is trusted once its CA's root is placed in keys/trust/
    (store.root / "trust").mkdir(exist_ok=True)
    try:
        (store.root / "trust" / "other.pem").write_bytes((other / "ca" / "root.pem").read_bytes())
        trusted = verify_pdf(signed, store.trusted_roots())
        assert trusted.signatures[0].ok and trusted.verdict == "incomplete"  # trusted; the chair's block is empty
    finally:
        (store.root / "trust" / "other.pem").unlink()


def test_wrong_password_and_missing_certificate_are_refused(pdf: bytes, store: KeyStore) -> None:
    with pytest.raises(Forbidden) as wrong:
        _sign(pdf, store, SECRETARY, "ThuKy", password="not-demo")
    assert wrong.value.message == "Mật khẩu chữ ký số không đúng."
    with pytest.raises(Conflict):
        _sign(pdf, store, ("nobody", "Ai Đó", ""), "ThuKy")


def test_a_sealed_file_does_not_open_for_another_account(tmp_path: Path, keys: Path) -> None:
    copy = KeyStore(tmp_path / "keys")
    (copy.root / "signers").mkdir(parents=True)
    (copy.root / "signers" / "thutuong.sealed").write_bytes((keys / "signers" / "vanphong.sealed").read_bytes())
    with pytest.raises(Forbidden):
        copy.unseal_pkcs12("thutuong", "demo")


def test_signing_the_same_field_twice_is_a_conflict(by_secretary: bytes, store: KeyStore) -> None:
    with pytest.raises(Conflict):
        _sign(by_secretary, store, SECRETARY, "ThuKy")


def test_import_of_a_real_pkcs12(tmp_path: Path, pdf: bytes) -> None:
    ca = create_demo_ca(tmp_path / "national")  # stands in for a real CA's issued PKCS#12
    issue_certificate(ca, "x", "Trần Quốc Hưng", "Bộ trưởng", "mật-khẩu")
    p12 = KeyStore(tmp_path / "national").unseal_pkcs12("x", "mật-khẩu")
    store = KeyStore(tmp_path / "keys")
    with pytest.raises(ValidationFailed):
        store.import_pkcs12("hung", p12, "sai")
    with pytest.raises(ValidationFailed):
        store.import_pkcs12("hung", b"not a pkcs12", "mật-khẩu")
    cert = store.import_pkcs12("hung", p12, "mật-khẩu")
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Trần Quốc Hưng"
    signed = sign_pdf(
        pdf,
        store=store,
        user_id="hung",
        password="mật-khẩu",
        field_name="ChuToa",
        reason="Ký",
        location="Hà Nội",
        signer_name="Trần Quốc Hưng",
    )
    checked = verify_pdf(signed, [ca.cert])
    assert checked.signatures[0].ok and checked.unsigned_fields == ["ThuKy"]  # the secretary's block is empty


def test_unsigned_and_garbage_input(pdf: bytes, store: KeyStore) -> None:
    report = verify_pdf(pdf, store.trusted_roots())
    assert not report.ok and report.signatures == [] and report.verdict == "not_signed"
    assert report.summary == "Tài liệu không có chữ ký số"
    for junk in [b"", b"hello", b"%PDF-1.7\n garbage", b"\x00" * 1000, pdf[: len(pdf) // 2]]:
        with pytest.raises(ValidationFailed):
            verify_pdf(junk, store.trusted_roots())
    with pytest.raises(ValidationFailed):
        _sign(b"not a pdf", store, SECRETARY, "ThuKy")


def test_bad_user_ids_never_become_paths(store: KeyStore) -> None:
    for uid in ["../etc", "a/b", ".hidden", "", "x" * 65]:
        with pytest.raises(ValidationFailed):
            store.has_certificate(uid)


@pytest.mark.parametrize("zone, offset", [("Asia/Ho_Chi_Minh", "+07'00'"), ("Europe/Paris", "+01'00'")])
def test_a_signature_dates_the_file_on_the_organisations_clock(
    pdf: bytes, store: KeyStore, zone: str, offset: str
) -> None:
    """The signing update's /ModDate is the signing time with the organisation's offset (pyHanko would write the
    machine's zone: UTC on a server), as /CreationDate is."""
    import io
    from datetime import datetime, timezone

    import pikepdf

    from minutes.fileinfo import FileInfo

    at = datetime(2026, 12, 3, 9, 30, 15, tzinfo=timezone.utc)
    finalised = render_pdf(
        sample(), FileInfo("Biên bản", created=datetime(2026, 12, 3, 8, tzinfo=timezone.utc), tz=zone)
    )
    signed = sign_pdf(
        finalised,
        store=store,
        user_id=SECRETARY[0],
        password="demo",
        field_name="ThuKy",
        reason="Ký biên bản phiên họp",
        location="Hà Nội",
        signer_name=SECRETARY[1],
        signed_at=at,
        tz=zone,
    )
    with pikepdf.open(io.BytesIO(signed)) as doc:
        moddate = str(doc.docinfo["/ModDate"])
    assert moddate.endswith(offset)
    local = at.astimezone(__import__("zoneinfo").ZoneInfo(zone))
    assert moddate.startswith(local.strftime("D:%Y%m%d%H%M%S"))
