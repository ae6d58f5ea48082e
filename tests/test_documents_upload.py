"""Uploads over real HTTP: a good PDF is stored and rendered; every bad file gets its own clear refusal and
leaves nothing behind (no blob in the store, no temporary file, no row)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlmodel import select

from infra.settings import Settings
from documents import render
from documents.models import Document, DocumentVersion
from documents.routes import renderer_for
from tests.conftest import LiveServer, pdf_settings
from tests.doc_helpers import encrypted, make_pdf, upload, with_javascript, without_password
from tests.factories import make_cabinet
from tests.live import login
from tests.waiting import eventually


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return pdf_settings(tmp_path, max_upload_mb=1, max_document_pages=40)


def _stored(live: LiveServer) -> list[Path]:
    data = live.settings.data_dir
    return [p for d in ("files", "tmp") if (data / d).exists() for p in (data / d).rglob("*") if p.is_file()]


def _rows(live: LiveServer) -> int:
    return len(live.db.run_read(lambda session: session.exec(select(Document)).all()))


async def test_good_pdf_is_stored_by_content_and_its_pages_render_in_the_background(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        content = make_pdf(6)
        r = await upload(staff, c.meeting_id, content, agenda_item_id=c.item_ids[0])
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["page_count"] == 6 and doc["version"] == 1 and doc["agenda_item_id"] == c.item_ids[0]
        assert doc["uploaded_by"]["full_name"] == "Nguyễn Thị Văn Phòng"
        sha = live_server.db.run_read(lambda session: session.exec(select(DocumentVersion.sha256)).one())
        kept = (live_server.settings.data_dir / "files" / sha[:2] / f"{sha}.pdf").read_bytes()
        assert sha == hashlib.sha256(kept).hexdigest() and doc["removed_content"] == {}
        assert kept.startswith(b"%PDF-") and kept != content  # what is kept is the reconstruction (documents/cdr.py)
        # Background rendering finishes without anyone asking for a page.
        await eventually(lambda: render.pages_ready(live_server.settings.data_dir, sha, 6), "the pages to render")
        assert (await staff.get(f"/api/documents/{doc['id']}")).json()["pages_ready"] is True
        # The same bytes uploaded again share the blob.
        again = await upload(staff, c.meeting_id, content, title="Bản sao")
        assert again.status_code == 201
        assert len([p for p in _stored(live_server) if p.suffix == ".pdf"]) == 1
    finally:
        await staff.aclose()


async def test_a_pdf_with_javascript_is_kept_without_it_and_the_uploader_is_told(live_server: LiveServer) -> None:
    """Not refused: rebuilt without the script (the full hostile corpus is in test_documents_cdr.py)."""
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, with_javascript(make_pdf(2)))
        assert r.status_code == 201, r.text
        assert r.json()["removed_content"] == {"JavaScript": 1} and r.json()["page_count"] == 2
        sha = live_server.db.run_read(lambda session: session.exec(select(DocumentVersion.sha256)).one())
        kept = (live_server.settings.data_dir / "files" / sha[:2] / f"{sha}.pdf").read_bytes()
        assert b"JavaScript" not in kept and b"app.alert" not in kept
        assert list((live_server.settings.data_dir / "tmp").iterdir()) == []  # neither the upload nor its rebuild
    finally:
        await staff.aclose()


def _truncated() -> bytes:
    pdf = make_pdf(3)
    return pdf[: len(pdf) // 2]


BAD = {
    "non-PDF renamed .pdf": (
        lambda: "Đây là văn bản thường, không phải PDF.\n".encode() * 50,
        422,
        "not_pdf",
        "không phải PDF",
    ),
    "truncated PDF": (_truncated, 422, "truncated", "không đầy đủ"),
    "encrypted PDF": (lambda: encrypted(make_pdf(2)), 422, "encrypted", "mật khẩu"),
    "PDF encrypted with an owner password only": (lambda: without_password(make_pdf(2)), 422, "encrypted", "mật khẩu"),
    "oversize file": (lambda: b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 200_000), 413, "too_large", "1 MB"),
    "zero-byte file": (lambda: b"", 422, "empty", "rỗng"),
    "too many pages": (lambda: make_pdf(41), 422, "too_many_pages", "41 trang"),
    "docx without LibreOffice": (None, 422, "conversion_unavailable", "LibreOffice"),
}


def _docx() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize("case", BAD)
async def test_bad_upload_is_refused_clearly_and_leaves_nothing(live_server: LiveServer, case: str) -> None:
    make, status, reason, words = BAD[case]
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        content = _docx() if make is None else make()
        name = "to-trinh.docx" if make is None else "to-trinh.pdf"
        r = await upload(staff, c.meeting_id, content, filename=name)
        assert r.status_code == status, r.text
        error = r.json()["error"]
        assert error["details"]["reason"] == reason
        assert words in error["message"]
        assert _stored(live_server) == [] and _rows(live_server) == 0
    finally:
        await staff.aclose()


async def test_an_oversize_body_without_content_length_is_cut_off_while_streaming(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    boundary = "ecabinetboundary"
    sent = {"bytes": 0}

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nTờ trình\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        ).encode()
        for _ in range(200):  # up to 12.8 MB, far past the 1 MB limit
            sent["bytes"] += 65536
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        try:
            r = await staff.post(
                f"/api/meetings/{c.meeting_id}/documents",
                content=body(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
            assert r.status_code == 413 and r.json()["error"]["details"]["reason"] == "too_large"
        except Exception as exc:  # the server may close the connection before the client finishes sending
            assert "httpx" in type(exc).__module__
        assert _stored(live_server) == [] and _rows(live_server) == 0
    finally:
        await staff.aclose()


async def test_unknown_form_fields_and_missing_file_are_named(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await staff.post(f"/api/meetings/{c.meeting_id}/documents", data={"title": "Không có tệp"}, files={})
        assert r.status_code == 415  # a form without a file is not multipart: wrong Content-Type
        r = await upload(staff, c.meeting_id, make_pdf(1), colour="red")
        assert r.status_code == 422 and "colour" in r.text
        assert _stored(live_server) == [] and _rows(live_server) == 0
    finally:
        await staff.aclose()


async def test_deleting_a_document_while_its_pages_render_stops_the_rendering_quietly(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        content = make_pdf(40)
        r = await upload(staff, c.meeting_id, content)
        assert r.status_code == 201, r.text
        sha = live_server.db.run_read(
            lambda session: session.exec(select(DocumentVersion.sha256)).one()
        )  # the rebuild's
        assert (live_server.settings.data_dir / "files" / sha[:2] / f"{sha}.pdf").exists()
        assert (await staff.delete(f"/api/documents/{r.json()['id']}")).status_code == 204
        renderer = renderer_for(live_server.app.state.ctx)
        await eventually(
            lambda: not any(t.get_name() == f"render:{sha}" for t in renderer._background), "the render to stop"
        )
        await eventually(
            lambda: not any(key[0] == sha for key in renderer._inflight), "the chunks already in a worker to come back"
        )
        assert not any(t.get_name() == f"render:{sha}" for t in renderer._background)
        assert not (live_server.settings.data_dir / "files" / sha[:2] / f"{sha}.pdf").exists()
        failed = [rec for rec in caplog.records if rec.levelname == "ERROR" and sha in rec.getMessage()]
        assert failed == []  # nothing went wrong: the file is simply gone
    finally:
        await staff.aclose()
