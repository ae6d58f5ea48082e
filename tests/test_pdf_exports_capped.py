"""Whole-file copies of a stored PDF (the watermarked download, the annotated export) are made in the capped export
workers (documents/exports.py, documents/render.py `Renderer.export`), never in the server process: a bomb stored
before the upload limits is refused with 409 `too_complex` while the server's memory stays where it was, a copy that
runs too long is stopped alike, the next copy is made as usual, and the copies are those made before the move.

The workers are capped at 384 MB, as in tests/test_pdf_worker_memory.py (whose bomb and measure are used here)."""

from __future__ import annotations

import io
import resource
import time
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from sqlmodel import select

from annotations.pdf import annotated_pdf
from documents import exports, storage
from documents.models import DocumentVersion
from documents.routes import renderer_for
from documents.watermark import Viewer
from documents.watermark_pdf import stamp_pdf
from infra.settings import Settings
from tests.annotation_helpers import ink, note
from tests.conftest import LiveServer, pdf_settings
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login
from tests.test_pdf_worker_memory import _peak_rss, lzw_object_stream_bomb

MIB = 1 << 20
CAP_MB = 384
VIEWER = Viewer(7, "Nguyễn Văn Á", "Bộ Tài chính", "01/02/2027 09:30", False, "D:20270201093000+07'00'")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return pdf_settings(tmp_path, max_upload_mb=4, max_document_pages=40, render_workers=1, worker_memory_mb=CAP_MB)


def _texts(content: bytes) -> list[str]:
    doc = pdfium.PdfDocument(content)
    try:
        return [" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]
    finally:
        doc.close()


def _pixels(content: bytes) -> list[bytes]:
    doc = pdfium.PdfDocument(content)
    try:
        return [doc[i].render(scale=0.5).to_pil().convert("RGB").tobytes() for i in range(len(doc))]
    finally:
        doc.close()


def _leftovers(live: LiveServer) -> list[Path]:
    tmp = live.settings.data_dir / "tmp"
    return [p for p in tmp.rglob("*") if p.is_file()] if tmp.exists() else []


def _sha(live: LiveServer, doc: int) -> str:
    return str(
        live.db.run_read(
            lambda session: session.exec(select(DocumentVersion.sha256).where(DocumentVersion.document_id == doc)).one()
        )
    )


def _cpu_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_CPU)[0]


def _spin(source: Path, *args: Any) -> bytes:
    """A copy that never ends (in the export worker)."""
    while True:
        pass


async def test_a_stored_bomb_is_refused_for_download_and_export_and_the_server_serves_on(
    live_server: LiveServer,
) -> None:
    """An LZW object-stream bomb (2 GiB decoded out of 1.6 MB; uploads refuse it) written over a stored document:
    its watermarked download and its annotated export each answer 409 `too_complex` (both languages), the server
    process's memory grows by less than 64 MB (made in the server, as before the move, each copy took gigabytes),
    and an ordinary document's download and export work in the same server afterwards."""
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        docs = []
        for pages, heading in ((3, "Tờ trình về đầu tư công"), (2, "Báo cáo sẽ bị thay bằng tệp bom")):
            r = await upload(staff, c.meeting_id, make_pdf(pages, heading=heading), filename="to-trinh.pdf")
            assert r.status_code == 201, r.text
            docs.append(int(r.json()["id"]))
            made = await member.post(f"/api/documents/{docs[-1]}/annotations", json=note(2, text="Ghi chú riêng"))
            assert made.status_code == 201, made.text
        good, bombed = docs
        warm = await member.get(f"/api/documents/{good}/download")  # the export worker is up: its start unmeasured
        assert warm.status_code == 200, warm.text
        bomb, decoded = lzw_object_stream_bomb(2048)
        assert decoded >= 2048 * MIB
        storage.blob_path(live_server.settings.data_dir, _sha(live_server, bombed)).write_bytes(bomb)

        for path in (f"/api/documents/{bombed}/download", f"/api/documents/{bombed}/annotated.pdf"):
            started = time.monotonic()
            with _peak_rss() as web:
                r = await member.get(path)
            assert r.status_code == 409, (path, r.status_code, r.text[:300])
            error = r.json()["error"]
            assert error["code"] == "invalid_state" and error["details"] == {"reason": "too_complex"}, error
            assert "Không tạo được bản sao PDF của tài liệu này" in error["message"]
            assert web["growth"] < 64 * MIB, (path, web)
            assert time.monotonic() - started < 60, path
            english = await member.get(path, headers={"Accept-Language": "en"})
            assert english.status_code == 409 and english.json()["error"]["details"] == {"reason": "too_complex"}
            assert _leftovers(live_server) == []

        r = await member.get(f"/api/documents/{good}/download", headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text[:300]
        assert r.headers["cache-control"] == "private, no-store" and int(r.headers["content-length"]) == len(r.content)
        assert 'filename="tai-lieu-' in r.headers["content-disposition"]
        texts = _texts(r.content)
        assert len(texts) == 3 and all("Tờ trình về đầu tư công" in t and c.members[0].full_name in t for t in texts)
        r = await member.get(f"/api/documents/{good}/annotated.pdf")
        assert r.status_code == 200, r.text[:300]
        texts = _texts(r.content)
        assert "Ghi chú riêng" in texts[1] and "Ghi chú riêng" not in texts[0] + texts[2]
        with pikepdf.open(io.BytesIO(r.content)) as pdf:
            assert str(pdf.docinfo["/Title"]) == f"Bản có ghi chú của {c.members[0].full_name}"
        assert _leftovers(live_server) == []
    finally:
        await staff.aclose()
        await member.aclose()


async def test_a_copy_that_runs_too_long_is_stopped_and_the_next_one_is_made(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job past its CPU time (here 1 s) is stopped by the kernel in the worker: CopyTooComplex, no file left, and
    the rebuilt pool makes the next copy. The limit holds for one job only."""
    renderer = renderer_for(live_server.app.state.ctx)
    source = live_server.settings.data_dir / "source.pdf"
    source.write_bytes(make_pdf(2))
    monkeypatch.setattr(exports, "EXPORT_CPU_SECONDS", 1)
    started = time.monotonic()
    with pytest.raises(exports.CopyTooComplex) as refused:
        await exports.make(renderer, 4, source, _spin)
    assert refused.value.status == 409 and refused.value.details == {"reason": "too_complex"}
    assert time.monotonic() - started < 30  # twice a second of CPU, and a worker started twice
    assert _leftovers(live_server) == []
    copy = await exports.make(renderer, 4, source, stamp_pdf, VIEWER)
    assert _texts(copy.read_bytes())[0].count("Nguyễn Văn Á") >= 1
    copy.unlink()
    assert await exports.run(renderer, _cpu_limit) != resource.RLIM_INFINITY  # `run` (other whole-file work): alike
    assert await renderer.export(_cpu_limit) == resource.RLIM_INFINITY  # the worker's own limit is back after a job


async def test_the_copies_are_those_made_in_the_server_before(live_server: LiveServer) -> None:
    """The same functions, run in the worker: the same pages, text, pixels and document info as in-process."""
    renderer = renderer_for(live_server.app.state.ctx)
    source = live_server.settings.data_dir / "source.pdf"
    with pikepdf.open(io.BytesIO(make_pdf(3))) as pdf:
        pdf.pages[2].Rotate = 90  # the annotations are mapped through the rotation
        pdf.save(source)
    notes = [
        {"id": i, "text": a.get("text", ""), **a}
        for i, a in enumerate([ink(2), note(2, text="Cần làm rõ\nnguồn thu"), ink(3)])
    ]
    for fn, args in ((stamp_pdf, (VIEWER,)), (annotated_pdf, (VIEWER, notes))):
        here = fn(source, *args)
        copy = await exports.make(renderer, 4, source, fn, *args)
        there = copy.read_bytes()
        copy.unlink()
        assert _texts(there) == _texts(here) and _pixels(there) == _pixels(here), fn.__name__
        with pikepdf.open(io.BytesIO(here)) as a, pikepdf.open(io.BytesIO(there)) as b:
            assert dict(a.docinfo) == dict(b.docinfo) and len(a.pages) == len(b.pages) == 3
