"""Nobody can hold the export workers (the watermarked download, the annotated export) for everyone else
(documents/admission.py, documents/exports.py, minutes/verify_job.py):
- an anonymous signature check runs in a worker of its own, one at a time with a short line (503 `busy` beyond), and
  a file with more signature fields than minutes carry is refused before pyHanko reads it;
- a job over its CPU time is stopped once, not tried again;
- one member has at most ECABINET_EXPORTS_PER_USER copies running or waiting (429 beyond), and a copy whose client
  left while it waited is never made.

Jobs that must stay busy for a while block in their worker on a FIFO the test holds open, until the test writes one
byte per job to it: no clock decides what runs when."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from documents import admission, exports
from documents.workers import VERIFY_WORKERS
from documents.routes import renderer_for
from infra.settings import Settings
from minutes import verify_job
from tests.conftest import LiveServer, pdf_settings
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login
from tests.test_pdf_exports_capped import CAP_MB, _leftovers
from tests.test_verify_upload_capped import _assert_valid, _signed_minutes, _verify


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # one export worker: whatever holds it holds every copy
    return pdf_settings(tmp_path, max_upload_mb=4, render_workers=1, worker_memory_mb=CAP_MB)


# --- in the workers ---------------------------------------------------------------------------------------------


def _wait_on(fifo: str) -> int:
    """Block until the test writes a byte to `fifo`; answer this worker's pid."""
    with open(fifo, "rb") as f:
        f.read(1)
    return os.getpid()


def _blocked_copy(source: Path, fifo: str) -> bytes:
    _wait_on(fifo)
    return source.read_bytes()


def _counted_spin(*args: Any) -> bytes:
    """Note one start in the file named last, then never end (a copy or a check past its CPU time)."""
    with open(args[-1], "a") as f:
        f.write("started\n")
    while True:
        pass


# --- in the test ------------------------------------------------------------------------------------------------


@pytest.fixture
async def fifo(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    """A FIFO held open for writing (jobs reading it never block on opening it, and see its end if the test fails)."""
    path = tmp_path / "release"
    os.mkfifo(path)
    fd = os.open(path, os.O_RDWR)
    try:
        yield str(path), fd
    finally:
        os.close(fd)


def _many_fields(signed: bytes, n: int) -> bytes:
    """`signed` plus an incremental update adding `n` signature fields that all point at its first signature (as
    /tmp/probe3/sig/mk.py: pyHanko validates each field, so it pays n full validations and diff analyses)."""
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    fields = w.root["/AcroForm"]["/Fields"]
    value = fields[0].get_object().raw_get("/V")
    for i in range(n):
        extra = generic.DictionaryObject(
            {
                generic.NameObject("/FT"): generic.NameObject("/Sig"),
                generic.NameObject("/T"): generic.TextStringObject(f"S{i}"),
                generic.NameObject("/V"): value,
            }
        )
        fields.append(w.add_object(extra))
    w.update_container(fields)  # the /Fields array is written again in the update
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _gate(live: LiveServer, purpose: str) -> admission.Gate:
    renderer = renderer_for(live.app.state.ctx)
    slots = VERIFY_WORKERS if purpose == "verify" else 1
    return admission.gate_for(renderer, purpose, slots)


async def _document(live: LiveServer) -> tuple[Any, int]:
    c = make_cabinet(live.db)
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(3, heading="Tờ trình về đầu tư công"), filename="to-trinh.pdf")
        assert r.status_code == 201, r.text
        return c, int(r.json()["id"])
    finally:
        await staff.aclose()


async def test_a_pdf_with_too_many_signature_fields_is_refused_before_pyhanko_reads_it(
    live_server: LiveServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """300 extra fields on one signature (before: pyHanko validated each, a traceback in the log per field, and 2,000
    such fields held the shared export pool for minutes): 422 `too_complex` naming the limit, in both languages.
    Fields within the bound are verified as before, without a traceback in the worker's log."""
    signed = await asyncio.to_thread(_signed_minutes, live_server.settings.data_dir)
    amplified = await asyncio.to_thread(_many_fields, signed, 300)
    within = await asyncio.to_thread(_many_fields, signed, verify_job.MAX_SIGNATURE_FIELDS - 2)
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
        vi, en = await _verify(anonymous, amplified), await _verify(anonymous, amplified, "en")
        for r in (vi, en):
            assert r.status_code == 422, r.text[:300]
            error = r.json()["error"]
            assert error["code"] == "validation_failed" and error["details"] == {"reason": "too_complex"}, error
        assert "quá nhiều trường chữ ký" in vi.json()["error"]["message"] and "20" in vi.json()["error"]["message"]
        assert "too many signature fields" in en.json()["error"]["message"]
        capfd.readouterr()
        r = await _verify(anonymous, within)
        assert r.status_code == 200, r.text[:300]
        assert len(r.json()["signatures"]) == verify_job.MAX_SIGNATURE_FIELDS
        assert "Traceback" not in capfd.readouterr().err  # pyHanko's per-field warnings stay in the worker
        await _assert_valid(anonymous, signed)


async def test_a_running_verify_turns_the_next_away_and_members_copies_go_on(
    live_server: LiveServer, fifo: tuple[str, int]
) -> None:
    """The verify worker held (one check running, the line of ECABINET_VERIFY_QUEUE full): the next anonymous upload
    is answered 503 `busy` with Retry-After at once, and a member's download is made meanwhile (before: the upload
    waited in the shared export pool, and so did the download)."""
    path, release = fifo
    c, doc = await _document(live_server)
    member = await login(live_server.url, c.members[0].username)
    renderer = renderer_for(live_server.app.state.ctx)
    queue = live_server.settings.verify_queue
    held = asyncio.ensure_future(exports.verify(renderer, None, queue, _wait_on, path))
    waiting = [asyncio.ensure_future(exports.verify(renderer, None, queue, os.getpid)) for _ in range(queue)]
    gate = _gate(live_server, "verify")
    try:
        await gate.until(lambda g: g.running == 1 and len(g.waiting) == queue)
        signed = await asyncio.to_thread(_signed_minutes, live_server.settings.data_dir)
        async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
            busy, english = await _verify(anonymous, signed), await _verify(anonymous, signed, "en")
            for r in (busy, english):
                assert r.status_code == 503, r.text[:300]
                assert r.json()["error"]["code"] == "busy" and int(r.headers["retry-after"]) > 0
            assert "Máy chủ đang bận" in busy.json()["error"]["message"]
            assert "busy" in english.json()["error"]["message"]
            r = await member.get(f"/api/documents/{doc}/download")
            assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]
            assert not held.done()  # the download did not wait for the verify worker
            os.write(release, b"x")
            pid = await held
            assert [await w for w in waiting] == [pid] * queue  # the same worker served the line
            await _assert_valid(anonymous, signed)
    finally:
        await member.aclose()


async def test_a_job_past_its_cpu_time_is_stopped_once(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A copy and a check that never end are each started once (before: a copy was tried a second time, on a fresh
    worker), and the worker that stopped them serves the next job."""
    monkeypatch.setattr(exports, "EXPORT_CPU_SECONDS", 1)
    monkeypatch.setattr(exports, "VERIFY_CPU_SECONDS", 1)
    renderer = renderer_for(live_server.app.state.ctx)
    source = live_server.settings.data_dir / "source.pdf"
    source.write_bytes(make_pdf(1))
    copies, checks = tmp_path / "copies", tmp_path / "checks"
    before = await exports.run(renderer, os.getpid)
    with pytest.raises(exports.CopyTooComplex):
        await exports.make(renderer, 4, source, _counted_spin, str(copies))
    assert copies.read_text() == "started\n"
    assert await exports.run(renderer, os.getpid) == before
    assert _leftovers(live_server) == []
    verifier = await exports.verify(renderer, None, 0, os.getpid)
    with pytest.raises(exports.TooMuchCpu):
        await exports.verify(renderer, None, 0, _counted_spin, str(checks))
    assert checks.read_text() == "started\n"
    assert await exports.verify(renderer, None, 0, os.getpid) == verifier


async def test_a_members_third_copy_is_refused_while_another_member_is_served(
    live_server: LiveServer, fifo: tuple[str, int]
) -> None:
    """The export worker busy: a member with two copies waiting gets 429 with Retry-After for a third (download or
    annotated export, both languages); another member's download is taken into the line and made."""
    path, release = fifo
    c, doc = await _document(live_server)
    first = await login(live_server.url, c.members[0].username)
    second = await login(live_server.url, c.members[1].username)
    renderer = renderer_for(live_server.app.state.ctx)
    source = live_server.settings.data_dir / "source.pdf"
    source.write_bytes(make_pdf(1))
    held = asyncio.ensure_future(exports.make(renderer, 4, source, _blocked_copy, path))
    gate = _gate(live_server, "export")
    url = f"/api/documents/{doc}/download"
    try:
        await gate.until(lambda g: g.running == 1)
        mine = [asyncio.ensure_future(first.get(url)) for _ in range(2)]
        await gate.until(lambda g: len(g.waiting) == 2)
        for third in (
            await first.get(url),
            await first.get(f"/api/documents/{doc}/annotated.pdf", headers={"Accept-Language": "en"}),
        ):
            assert third.status_code == 429, third.text[:300]
            assert third.json()["error"]["details"] == {"reason": "in_flight"} and int(third.headers["retry-after"]) > 0
        assert "yêu cầu tải tệp PDF chưa xong" in (await first.get(url)).json()["error"]["message"]
        assert "still being prepared" in third.json()["error"]["message"]
        theirs = asyncio.ensure_future(second.get(url))
        await gate.until(lambda g: len(g.waiting) == 3)  # taken into the line, behind the first member's two
        os.write(release, b"x")
        (await held).unlink()
        for r in [*(await asyncio.gather(*mine)), await theirs]:
            assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]
        assert gate.started == 4 and not gate.held
    finally:
        await first.aclose()
        await second.aclose()


async def test_an_abandoned_waiting_download_is_never_made(live_server: LiveServer, fifo: tuple[str, int]) -> None:
    """A download whose client gives up while it waits for the export worker leaves the line and is not started
    (before: every abandoned request still cost the pool a copy, and 60 of them delayed others by 35 s)."""
    path, release = fifo
    c, doc = await _document(live_server)
    member = await login(live_server.url, c.members[0].username)
    renderer = renderer_for(live_server.app.state.ctx)
    source = live_server.settings.data_dir / "source.pdf"
    source.write_bytes(make_pdf(1))
    held = asyncio.ensure_future(exports.make(renderer, 4, source, _blocked_copy, path))
    gate = _gate(live_server, "export")
    try:
        await gate.until(lambda g: g.running == 1)
        quitter = await login(live_server.url, c.members[1].username)
        gone = asyncio.ensure_future(quitter.get(f"/api/documents/{doc}/download"))
        await gate.until(lambda g: len(g.waiting) == 1)
        gone.cancel()
        await quitter.aclose()  # the connection is closed: the server sees the client go
        await gate.until(lambda g: g.abandoned == 1 and not g.waiting)
        assert gate.started == 1 and not gate.held  # only the job holding the worker
        os.write(release, b"x")
        (await held).unlink()
        r = await member.get(f"/api/documents/{doc}/download")
        assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]
        assert gate.started == 2 and gate.abandoned == 1
        assert _leftovers(live_server) == []
    finally:
        await member.aclose()
