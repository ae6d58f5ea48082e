"""Whatever qpdf or PDFium does with a hostile PDF happens in a worker process whose memory is capped
(documents/render.py, ECABINET_WORKER_MEMORY_MB): the upload check (documents/pdfcheck.py `rebuild`) and page
renders. A file that needs more is refused at upload (422 `too_complex`), a stored page that does answers 409, the
server's own memory does not move, and the next upload or page is served as usual.

These tests cap the workers at 384 MB: ordinary work takes far less (measured: a 100-page document checked, texts
read and rendered at tablet and zoom size, +79 MB over the worker's 203 MB of libraries; a 300 dpi colour scan,
+113 MB)."""

from __future__ import annotations

import io
import pickle
import re
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from sqlmodel import select

from core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from core.i18n import Msg
from documents import ingest, pdfcheck, render, storage, workers
from documents.models import Document, DocumentVersion
from documents.render import Renderer
from documents.routes import renderer_for
from documents.watermark_pdf import Unstampable
from infra.settings import Settings, SettingsError
from tests.conftest import LiveServer, pdf_settings
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login
from tests.waiting import eventually

MIB = 1 << 20
CAP_MB = 384


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # the LZW bomb is 1.6 MB; one render worker: the machine is shared
    return pdf_settings(tmp_path, max_upload_mb=4, max_document_pages=40, render_workers=1, worker_memory_mb=CAP_MB)


# --- an LZW object-stream bomb ----------------------------------------------------------------------------------


class _Bits:
    def __init__(self) -> None:
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, code: int, width: int) -> None:
        self.acc, self.n = (self.acc << width) | code, self.n + width
        while self.n >= 8:
            self.n -= 8
            self.out.append((self.acc >> self.n) & 0xFF)
        self.acc &= (1 << self.n) - 1

    def done(self) -> bytes:
        if self.n:
            self.out.append((self.acc << (8 - self.n)) & 0xFF)
        return bytes(self.out)


def _width(entries: int) -> int:
    """The code width once the table has `entries` entries past 257 (EarlyChange 1: one code early)."""
    nxt = 258 + entries + 1
    return 9 if nxt <= 512 else 10 if nxt <= 1024 else 11 if nxt <= 2048 else 12


def _lzw_bomb(prefix: bytes, run_mib: int) -> tuple[bytes, int]:
    """LZWDecode data (EarlyChange 1) of `prefix`, then at least `run_mib` MiB of spaces; answers (data, its decoded
    length). In a run every code is one byte longer than the last (258 decodes to 2 spaces, 259 to 3, …), so each
    table, cleared at 4094 entries, decodes to 7.4 MB out of 5.4 KB: 2 GiB from 1.6 MB."""
    bits, total = _Bits(), 0
    bits.put(256, 9)
    table: dict[bytes, int] = {}
    word = b""
    for byte in prefix:  # plain LZW
        longer = word + bytes([byte])
        if len(longer) == 1 or longer in table:
            word = longer
            continue
        bits.put(table[word] if len(word) > 1 else word[0], _width(len(table)))
        total += len(word)
        table[longer] = 258 + len(table)
        if 258 + len(table) >= 4094:
            bits.put(256, _width(len(table)))
            table = {}
        word = bytes([byte])
    bits.put(table[word] if len(word) > 1 else word[0], _width(len(table)))
    total += len(word)
    bits.put(256, _width(len(table) + 1))
    while total < run_mib * MIB:  # the run, one table at a time
        bits.put(0x20, 9)
        total, entries, code = total + 1, 1, 258
        while 258 + entries < 4094:
            bits.put(code, _width(entries))
            total, entries, code = total + code - 256, entries + 1, code + 1
        bits.put(256, _width(entries))
    bits.put(257, 9)
    return bits.done(), total


def lzw_object_stream_bomb(run_mib: int) -> tuple[bytes, int]:
    """A one-page PDF whose catalog, page tree and page live in an /LZWDecode object stream padded with `run_mib` MiB
    of spaces (the cross-reference stream, plain, says so): qpdf decodes it whole to find the catalog as it opens
    the file. Answers (the file, how many bytes the object stream decodes to)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    header, body = b"", b""
    for n, obj in enumerate(objects, start=1):
        header += b"%d %d " % (n, len(body))
        body += obj + b"\n"
    header += b"\n"
    data, decoded = _lzw_bomb(header + body, run_mib)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    rows = [b"\x00\x00\x00\x00\xff", *(b"\x02\x00\x00\x04" + bytes([i]) for i in range(3))]  # 1-3: in stream 4
    rows.append(b"\x01" + len(out).to_bytes(3, "big") + b"\x00")
    out += b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /LZWDecode /Length %d >>\nstream\n" % (
        len(header),
        len(data),
    )
    out += data + b"\nendstream\nendobj\n"
    xref = len(out)
    rows.append(b"\x01" + xref.to_bytes(3, "big") + b"\x00")
    table = b"".join(rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 3 1] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out), decoded


def _spaces(mib: int) -> bytes:
    """A zlib stream of `mib` MiB of spaces, made from one compressed MiB repeated."""
    block, co = b" " * MIB, zlib.compressobj(9)
    first = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    again = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    check = 1
    for _ in range(mib):
        check = zlib.adler32(block, check)
    return first + again * (mib - 1) + b"\x03\x00" + check.to_bytes(4, "big")


def content_bomb_pdf() -> bytes:
    """Two pages; the first one's content stream decodes to 1 GiB of spaces (what a file stored before the upload
    limits may hold). PDFium decodes it whole to draw the page: 2.1 GB and 10 s in an uncapped worker, measured."""
    pdf = pikepdf.new()
    first = pdf.add_blank_page(page_size=(595, 842))
    stream = pikepdf.Stream(pdf, _spaces(1024))
    stream.Filter = pikepdf.Name.FlateDecode
    first.obj.Contents = pdf.make_indirect(stream)
    pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


# --- the server process's memory ----------------------------------------------------------------------------------


def _status(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    assert match, field
    return int(match.group(1)) * 1024


@contextmanager
def _peak_rss() -> Iterator[dict[str, int]]:
    """This process's (the live server runs in it) highest resident size during the block, above its size before:
    the kernel's high-water mark reset first (/proc/self/clear_refs 5), and sampled as well where that is refused."""
    out = {"growth": 0}
    before = _status("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    stop, samples = threading.Event(), [before]

    def sample() -> None:
        while not stop.wait(0.005):
            samples.append(_status("VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield out
    finally:
        stop.set()
        sampler.join()
        peak = max(max(samples), _status("VmHWM") if reset else 0)
        out["growth"] = peak - before


# --- helpers ------------------------------------------------------------------------------------------------------


def _stored(live: LiveServer) -> list[Path]:
    data = live.settings.data_dir
    return [p for d in ("files", "tmp") if (data / d).exists() for p in (data / d).rglob("*") if p.is_file()]


def _rows(live: LiveServer) -> int:
    return len(live.db.run_read(lambda session: session.exec(select(Document)).all()))


async def _upload_and_read(live: LiveServer, staff: Any, member: Any, c: Any, pages: int = 3) -> int:
    """An ordinary document goes in, and a member sees its pages."""
    r = await upload(staff, c.meeting_id, make_pdf(pages), filename="to-trinh.pdf")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["page_count"] == pages
    for n in (1, pages):
        page = await member.get(f"/api/documents/{doc['id']}/pages/{n}?size=tablet")
        assert page.status_code == 200 and len(page.content) > 1000, page.text
    return int(doc["id"])


# --- the tests ----------------------------------------------------------------------------------------------------


def test_the_bomb_is_what_it_says() -> None:
    """The same construction, small, is a good file qpdf reads; large, its object stream decodes to over 2 GiB. (Run
    through the upload check in a process without a cap, the 2 GiB one took 3.9 GB and 29 s: the check's web-process
    thread before the check moved to capped workers.)"""
    small, decoded = lzw_object_stream_bomb(1)
    with pikepdf.open(io.BytesIO(small)) as pdf:
        assert len(pdf.pages) == 1 and pdf.Root.Type == pikepdf.Name.Catalog
        data = pdf.get_object((4, 0)).read_bytes()
        assert len(data) == decoded and data.endswith(b" " * 1000)
    big, decoded = lzw_object_stream_bomb(2048)
    assert decoded >= 2048 * MIB and len(big) < 1.7 * MIB


async def test_an_lzw_object_stream_bomb_is_refused_without_the_server_paying_for_it(live_server: LiveServer) -> None:
    """(a) and (c): refused as `too_complex` in the capped check worker, the server's memory unmoved; the next
    ordinary upload goes in and renders (the worker pool serves on)."""
    bomb, _ = lzw_object_stream_bomb(2048)
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        await _upload_and_read(live_server, staff, member, c)  # the workers are up: their start is not measured
        stored, rows = _stored(live_server), _rows(live_server)
        started = time.monotonic()
        with _peak_rss() as web:
            r = await upload(staff, c.meeting_id, bomb, filename="bom.pdf")
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["details"] == {"reason": "too_complex"}
        assert "“bom.pdf” cần quá nhiều bộ nhớ" in error["message"]
        assert web["growth"] < 64 * MIB, web  # decoded in this process, it took gigabytes
        assert time.monotonic() - started < 20  # stopped at the cap (uncapped: 29 s)
        assert _stored(live_server) == stored and _rows(live_server) == rows  # nothing kept, no leftovers
        english = await staff.post(
            f"/api/meetings/{c.meeting_id}/documents",
            files={"file": ("bom.pdf", bomb, "application/pdf")},
            data={"title": "x"},
            headers={"Accept-Language": "en"},
        )
        assert english.status_code == 422 and english.json()["error"]["details"] == {"reason": "too_complex"}
        await _upload_and_read(live_server, staff, member, c, pages=2)
    finally:
        await staff.aclose()
        await member.aclose()


async def test_a_stored_page_over_the_cap_answers_an_error_and_the_next_page_renders(live_server: LiveServer) -> None:
    """(b) and (d): an ordinary upload renders; then its stored file is one from before the limits, whose first page
    PDFium cannot draw within the cap (the worker dies, twice): that page answers 409 `too_complex`, the second page
    an image, and the server serves on."""
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        doc = await _upload_and_read(live_server, staff, member, c, pages=2)
        sha = live_server.db.run_read(lambda session: session.exec(select(DocumentVersion.sha256)).one())
        data_dir = live_server.settings.data_dir
        await eventually(lambda: render.pages_ready(data_dir, sha, 2), "the background renders")
        await eventually(lambda: not renderer_for(live_server.app.state.ctx)._inflight, "no render in flight")
        storage.blob_path(data_dir, sha).write_bytes(content_bomb_pdf())  # as stored before the limits existed
        for cached in (data_dir / "pages" / sha[:2] / sha).iterdir():
            cached.unlink()
        with _peak_rss() as web:
            r = await member.get(f"/api/documents/{doc}/pages/1?size=tablet")
        assert r.status_code == 409, r.text
        assert r.json()["error"]["details"] == {"reason": "too_complex", "page": 1}
        assert "Trang 1 của tài liệu này cần quá nhiều bộ nhớ" in r.json()["error"]["message"]
        assert web["growth"] < 64 * MIB, web
        r = await member.get(f"/api/documents/{doc}/pages/2?size=tablet")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/")
        again = await member.get(f"/api/documents/{doc}/pages/1?size=zoom", headers={"Accept-Language": "en"})
        assert again.status_code == 409 and again.json()["error"]["details"]["reason"] == "too_complex"
        await _upload_and_read(live_server, staff, member, c, pages=3)
    finally:
        await staff.aclose()
        await member.aclose()


async def test_every_worker_runs_under_the_cap(live_server: LiveServer, tmp_path: Path) -> None:
    """(e): the render and the upload-check workers both cap their address space at their size after imports plus
    ECABINET_WORKER_MEMORY_MB; 0 leaves them uncapped."""
    renderer = renderer_for(live_server.app.state.ctx)
    for limits in (await renderer.run(workers.memory_limit), await renderer.check(workers.memory_limit)):
        assert limits["soft"] != -1 and limits["vm_size"] is not None, limits
        headroom = limits["soft"] - limits["vm_size"]
        assert CAP_MB * MIB - 16 * MIB <= headroom <= CAP_MB * MIB, limits  # a fresh worker has grown little
        assert 100 * MIB < limits["vm_size"] < 600 * MIB, limits  # the baseline: pikepdf, pdfium, PIL imported
    uncapped = Renderer(tmp_path, 1, 0)
    try:
        assert (await uncapped.run(workers.memory_limit))["soft"] == -1
    finally:
        workers.shutdown_pool()  # its own pool (and the app's: the next job starts them again)


async def test_a_memory_error_or_a_dead_worker_during_the_upload_check_is_a_refusal() -> None:
    for failure in (MemoryError(), BrokenProcessPool("a worker died")):

        async def failing(fn: Any, *args: Any, failure: BaseException = failure) -> Any:
            raise failure

        with pytest.raises(ValidationFailed) as refused:
            await ingest._in_worker(failing, "x.pdf", pdfcheck.rebuild)
        assert refused.value.details == {"reason": "too_complex"} and "“x.pdf”" in str(refused.value)


@pytest.mark.parametrize(
    "error",
    [
        pdfcheck.too_complex("bom.pdf"),
        pdfcheck.too_many_pages("dai.pdf", 5000, 40),
        ValidationFailed(Msg("Tệp PDF “{filename}” bị hỏng ({exc}).", filename="a.pdf", exc="x"), details={"k": [1]}),
        RateLimited("Thử lại sau {n} giây.", n=3, retry_after=3),
        NotFound("Không tìm thấy cuộc họp."),
        Conflict("Cuộc họp “{title}” chưa có nội dung họp.", title="Phiên họp thường kỳ"),
        Unstampable(),  # an __init__ of its own
        render.PageTooComplex(7),
    ],
)
def test_errors_raised_in_a_worker_come_back_whole(error: Any) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and back.args == error.args and str(back) == str(error)
    assert isinstance(back.message, Msg) and back.message.key == error.message.key
    assert back.message.params == error.message.params and back.details == error.details
    assert back.to_dict("en") == error.to_dict("en") and back.to_dict("vi") == error.to_dict("vi")
    assert getattr(back, "retry_after", None) == getattr(error, "retry_after", None)


def test_the_setting_reads_from_the_environment() -> None:
    assert Settings.from_env({}).worker_memory_mb == 1536
    assert Settings.from_env({"ECABINET_WORKER_MEMORY_MB": "0"}).worker_memory_mb == 0
    with pytest.raises(SettingsError):
        Settings.from_env({"ECABINET_WORKER_MEMORY_MB": "-1"})
