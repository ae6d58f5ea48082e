"""The public signature check (/api/minutes/verify, minutes/signing.py verify_pdf) reads an anonymous upload of up to
20 MB with pyHanko. A file pyHanko cannot parse (an LZW object stream, nesting deeper than Python's stack) is refused
with 422 and a reason in both languages, never a 500; the parse runs in a capped export worker (documents/exports.py
run), so a parse bomb is refused as `too_complex` while the server's memory stays where it was, and a signed minutes
PDF is verified as before in the same server afterwards.

The workers are capped at 384 MB, as in tests/test_pdf_exports_capped.py (whose measure is used here)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx
import pytest

from infra.settings import Settings
from ledger.keystore import KeyStore, ensure_demo_signers
from minutes import routes as minutes_routes
from minutes import signing
from minutes.pdf import render_pdf
from tests.conftest import LiveServer, pdf_settings
from tests.test_minutes_pdf import sample
from tests.test_pdf_worker_memory import _peak_rss, lzw_object_stream_bomb
from tests.test_signing import CHAIR, SECRETARY, _sign

MIB = 1 << 20
CAP_MB = 384
VERIFY = "/api/minutes/verify"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return pdf_settings(tmp_path, render_workers=1, worker_memory_mb=CAP_MB)  # the machine is shared


def _plain_pdf(catalog_extra: bytes) -> bytes:
    """A one-page PDF with a classic cross-reference table, whose catalog carries `catalog_extra` (pyHanko parses the
    catalog whole to look for signature fields)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def parse_bomb(mib: int) -> bytes:
    """A catalog holding an array of `mib` MiB of zeros, uncompressed: pyHanko makes one Python object of each, about
    150 bytes a byte of file (measured: 4 MiB cost 618 MB and 7 s in-process). pyHanko's own decode limits do not
    apply (nothing is decoded), and the decompression bombs of tests/test_pdf_bombs.py and test_pdf_worker_memory.py
    cost it nothing (it never reads the page's resources, and refuses LZW, below)."""
    return _plain_pdf(b"/Junk [" + b"0 " * (mib * MIB // 2) + b"]")


def _signed_minutes(data_dir: Path) -> bytes:
    """The minutes signed by the secretary and the chair, whose certificates the server's key store trusts."""
    keys = data_dir / "keys"
    ensure_demo_signers(keys, [SECRETARY, CHAIR], "demo")
    store = KeyStore(keys)
    return _sign(_sign(render_pdf(sample()), store, SECRETARY, "ThuKy"), store, CHAIR, "ChuToa")


async def _verify(client: httpx.AsyncClient, content: bytes, lang: str = "vi") -> httpx.Response:
    headers = {"content-type": "application/pdf", "Accept-Language": lang}
    return await client.post(VERIFY, content=content, headers=headers, timeout=120)


async def _assert_valid(client: httpx.AsyncClient, signed: bytes) -> None:
    """The check ran to its end: every signature of these minutes verifies (trusted, intact). They were signed here,
    not issued by the server, so the file is `not_issued` (tests/test_verify_issued.py)."""
    r = await _verify(client, signed)
    assert r.status_code == 200, r.text[:300]
    report = r.json()
    assert report["verdict"] == "not_issued" and not report["ok"], report
    assert [s["signer_name"] for s in report["signatures"]] == [SECRETARY[1], CHAIR[1]]
    assert all(s["trusted"] and s["intact"] and s["ok"] for s in report["signatures"])


@pytest.mark.parametrize(
    "content",
    [
        lzw_object_stream_bomb(1)[0],  # pyHanko: NotImplementedError("Stream filter '/LZWDecode' is not supported.")
        _plain_pdf(b"/AcroForm << /Fields " + b"[" * 5000 + b"]" * 5000 + b" >>"),  # RecursionError
    ],
    ids=["lzw_object_stream", "nested_5000_deep"],
)
async def test_a_file_pyhanko_cannot_parse_is_refused_with_a_reason(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    """Before the fix both answered 500 (the exception escaped verify_pdf)."""
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
        vi, en = await _verify(anonymous, content), await _verify(anonymous, content, "en")
    for r in (vi, en):
        assert r.status_code == 422, r.text[:300]
        error = r.json()["error"]
        assert error["code"] == "validation_failed" and error["details"] == {"reason": "unreadable"}, error
    assert "Không đọc được tệp PDF này để kiểm tra chữ ký" in vi.json()["error"]["message"]
    assert "could not be read" in en.json()["error"]["message"]
    # the file's fault: no error or traceback in the server's log (the worker notes it at INFO)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []


def test_an_unexpected_error_is_refused_but_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Not a parser error: maybe our own bug. Still the upload's refusal, but it does not pass silently."""
    try:
        raise RuntimeError("our own bug")
    except RuntimeError as exc:
        refusal = signing._unreadable_file(exc)
    assert refusal.details == {"reason": "unreadable"}
    [record] = [r for r in caplog.records if r.name == "minutes.signing"]
    assert record.levelno == logging.WARNING and record.exc_info and "our own bug" in record.getMessage()


async def test_a_parse_bomb_is_refused_in_flat_memory_and_signed_minutes_still_verify(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An 8 MiB upload that pyHanko would take 1.2 GB and 14 s to parse (measured in the server before the move):
    refused with 422 `too_complex` in both languages, the server process grows by less than 64 MB, and signed
    minutes verify before and after in the same server (their signatures; the file is not one the server issued)."""
    # each bomb costs the worker ~10 CPU-seconds: two from one address pass its CPU budget (tests/test_verify_fair.py)
    monkeypatch.setattr(minutes_routes, "VERIFY_CPU_BUDGET", (120.0, 60.0))
    signed = await asyncio.to_thread(_signed_minutes, live_server.settings.data_dir)  # pyHanko runs its own loop
    bomb = parse_bomb(8)
    assert len(bomb) < 20 * MIB  # within the upload limit of /verify
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
        await _assert_valid(anonymous, signed)  # the export worker is up: its start unmeasured
        started = time.monotonic()
        with _peak_rss() as web:
            r = await _verify(anonymous, bomb)
        assert r.status_code == 422, r.text[:300]
        error = r.json()["error"]
        assert error["code"] == "validation_failed" and error["details"] == {"reason": "too_complex"}, error
        assert "cần quá nhiều bộ nhớ hoặc thời gian để kiểm tra chữ ký" in error["message"]
        assert web["growth"] < 64 * MIB, web
        assert time.monotonic() - started < 60
        english = await _verify(anonymous, bomb, "en")
        assert english.status_code == 422 and english.json()["error"]["details"] == {"reason": "too_complex"}
        assert "too much memory or time" in english.json()["error"]["message"]
        await _assert_valid(anonymous, signed)
