"""PDFs that cost far more than their size (documents/pdfbudget.py): decompression bombs and huge page counts are
refused at upload with a reason, before anything decodes, rewrites or renders them; real scans still go in.
The settings' 1 MB upload limit makes the limits their smallest: 16 MB a stream or page, 64 MB an image, 256 MB
a document."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageDraw
from sqlmodel import select

from documents import cdr, pdfbudget, pdfdecode
from documents.models import Document, DocumentVersion
from documents.routes import renderer_for
from infra.settings import Settings
from tests.conftest import LiveServer, pdf_settings
from tests.doc_helpers import upload
from tests.factories import make_cabinet
from tests.live import login

MIB = 1 << 20


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return pdf_settings(tmp_path, max_upload_mb=1, max_document_pages=40)


def _spaces(mib: int) -> bytes:
    """A zlib stream of `mib` MiB of spaces, made from one compressed MiB repeated (fast, and never held whole)."""
    block, co = b" " * MIB, zlib.compressobj(9)
    first = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)  # a full flush: the next MiB is coded alike
    again = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    check = 1
    for _ in range(mib):
        check = zlib.adler32(block, check)
    return first + again * (mib - 1) + b"\x03\x00" + check.to_bytes(4, "big")  # an empty final block, checksum


def _pdf(pages: list[dict[str, Any]]) -> bytes:
    """Pages from (name -> value) dictionaries, where a value of ("stream", data, filters) becomes a stream kept
    encoded as given."""
    pdf = pikepdf.new()

    def obj(value: Any) -> Any:
        if isinstance(value, tuple) and value[0] == "stream":
            s = pikepdf.Stream(pdf, value[1])
            if value[2]:
                s.Filter = pikepdf.Array([pikepdf.Name(f) for f in value[2]])
            for key, v in (value[3] if len(value) > 3 else {}).items():
                s[key] = v
            return s
        if isinstance(value, list):
            return pikepdf.Array([obj(v) for v in value])
        if isinstance(value, dict):
            return pikepdf.Dictionary({k: obj(v) for k, v in value.items()})
        return value

    for page in pages:
        pdf.pages.append(pikepdf.Page(obj({"/Type": pikepdf.Name.Page, "/MediaBox": [0, 0, 595, 842], **page})))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)  # the bombs stay bombs
    return out.getvalue()


def _content(data: bytes, filters: list[str]) -> tuple[Any, ...]:
    return ("stream", data, filters)


def _image(width: int, height: int, data: bytes, filters: list[str], grey: bool = True) -> dict[str, Any]:
    space = pikepdf.Name.DeviceGray if grey else pikepdf.Name.DeviceRGB
    meta = {"/Type": pikepdf.Name.XObject, "/Subtype": pikepdf.Name.Image, "/Width": width, "/Height": height}
    meta |= {"/BitsPerComponent": 8, "/ColorSpace": space}
    return {
        "/Resources": {"/XObject": {"/Im0": ("stream", data, filters, meta)}},
        "/Contents": _content(b"q 595 0 0 842 0 0 cm /Im0 Do Q", []),
    }


def _stored(live: LiveServer) -> list[Path]:
    data = live.settings.data_dir
    return [p for d in ("files", "tmp", "pages") if (data / d).exists() for p in (data / d).rglob("*") if p.is_file()]


def _rows(live: LiveServer) -> int:
    return len(live.db.run_read(lambda session: session.exec(select(Document)).all()))


async def _refused(live: LiveServer, content: bytes) -> dict[str, Any]:
    c = make_cabinet(live.db)
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, content, filename="bom.pdf")
    finally:
        await staff.aclose()
    assert r.status_code == 422, r.text
    assert _stored(live) == [] and _rows(live) == 0
    error: dict[str, Any] = r.json()["error"]
    assert error["details"]["reason"] in ("decompressed_too_large", "too_many_pages") and "bom.pdf" in error["message"]
    return error


ROOT = Path(__file__).resolve().parents[1]
# The upload's check of a PDF (documents/pdfcheck.py rebuild, which refuses a bomb) in a process of its own, which
# prints its own peak RSS and the refusal's details; without a file: the same imports only. The peak is VmHWM (KiB),
# the high-water mark of the process's memory since its exec: ru_maxrss would not do, Linux carries the parent's
# peak over fork and exec into it (a child of a test process that once took 2 GB reports 2 GB).
_CHECK = """
import json, re, sys
from pathlib import Path
from core.errors import ValidationFailed
from documents import pdfbudget, pdfcheck
details = None
if len(sys.argv) > 1:
    path, max_pages, max_upload_mb = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    try:
        pdfcheck.rebuild(path, "bom.pdf", max_pages, pdfbudget.Limits.for_upload(max_upload_mb))
    except ValidationFailed as exc:
        details = exc.details
peak = re.search(r"^VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text(), re.M)
print(json.dumps({"peak_kib": int(peak.group(1)), "details": details}))
"""


def _refusal_cost(live: LiveServer, content: bytes) -> tuple[int, Any]:
    """(bytes of memory the check of `content` costs, the refusal's details): the peak of a fresh process that checks
    it, less the peak of one that only imports the same modules. Each peak is the process's own, so what this test
    process (or an earlier test) peaked at does not hide it."""
    path = live.settings.data_dir / "bomb-probe.pdf"
    path.write_bytes(content)
    settings = live.settings

    def run(*args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", _CHECK, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
        )
        answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        return answer

    try:
        baseline = run()
        checked = run(str(path), str(settings.max_document_pages), str(settings.max_upload_mb))
    finally:
        path.unlink(missing_ok=True)
    return (checked["peak_kib"] - baseline["peak_kib"]) * 1024, checked["details"]


async def test_a_content_stream_compressed_twice_into_gigabytes_is_refused_unread(live_server: LiveServer) -> None:
    """The probe's bomb at 1 GB (a few KB of file): refused at the 16 MB stream limit, in little memory."""
    bomb = zlib.compress(_spaces(1024), 9)
    content = _pdf([{"/Contents": _content(bomb, ["/FlateDecode", "/FlateDecode"])}])
    assert len(content) < 20_000
    error = await _refused(live_server, content)
    assert error["details"] == {"reason": "decompressed_too_large", "part": "stream", "limit_mb": 16}
    assert "giải nén ra hơn 16 MB" in error["message"]
    cost, details = _refusal_cost(live_server, content)
    assert details == error["details"]
    # The bounded decoders (documents/pdfdecode.py) stop at the 16 MB stream limit: 7 MB measured. With each stream
    # decoded whole instead (qpdf's read_bytes in pdfbudget._decoded, no guard_qpdf), the check peaked at 2.1 GB.
    assert cost < 4 * pdfbudget.Limits.for_upload(1).stream  # 64 MB


async def test_an_image_claiming_a_billion_pixels_is_refused(live_server: LiveServer) -> None:
    content = _pdf([_image(30000, 40000, zlib.compress(b"\0" * 1000), ["/FlateDecode"])])
    error = await _refused(live_server, content)
    assert error["details"]["part"] == "image" and error["details"]["width"] == 30000
    assert "30000×40000 điểm ảnh" in error["message"] and "64 MB" in error["message"]


async def test_a_page_repeating_one_content_stream_is_refused(live_server: LiveServer) -> None:
    """Each stream is within the limit, the page's content (the same 4 MB stream eight times) is not."""
    pdf = pikepdf.new()
    shared = pdf.make_indirect(pikepdf.Stream(pdf, _spaces(4)))
    shared.Filter = pikepdf.Name.FlateDecode
    pdf.pages.append(
        pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842], Contents=[shared] * 8))
    )
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    error = await _refused(live_server, out.getvalue())
    assert error["details"] == {"reason": "decompressed_too_large", "part": "page", "limit_mb": 16, "page": 1}
    assert "trang 1" in error["message"]


async def test_streams_each_within_limits_but_too_much_together_are_refused(live_server: LiveServer) -> None:
    fifteen = _spaces(15)
    content = _pdf([{"/Contents": _content(fifteen, ["/FlateDecode"])} for _ in range(18)])  # 270 MB in all
    error = await _refused(live_server, content)
    assert error["details"] == {"reason": "decompressed_too_large", "part": "document", "limit_mb": 256}


def _object_stream_bomb(mib: int) -> bytes:
    """A page whose resources are in an object stream padded (Flate twice) to `mib` MiB of spaces. (An object stream
    holding the page tree is decoded by qpdf as it opens the file: pdfbudget.guard_qpdf bounds that one.)"""
    resources = b"<< /ProcSet [/PDF] >>\n"
    co = zlib.compressobj(9)
    start = co.compress(b"6 0 " + resources) + co.flush(zlib.Z_FULL_FLUSH)
    check = zlib.adler32(b"6 0 " + resources)
    for _ in range(mib):
        check = zlib.adler32(b" " * MIB, check)
    padding = _spaces(mib)[2:-6]  # its deflate blocks only: no header, final block or checksum
    data = zlib.compress(start + padding + b"\x03\x00" + check.to_bytes(4, "big"), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 6 0 R >>",
        b"<< /Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode] /Length %d >>\nstream\n" % len(data)
        + data
        + b"\nendstream",
    ]
    out, rows = bytearray(b"%PDF-1.7\n"), [b"\x00\x00\x00\x00\xff"]
    for n, body in enumerate(objects, start=1):
        rows.append(b"\x01" + len(out).to_bytes(3, "big") + b"\x00")
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    rows += [b"\x01" + xref.to_bytes(3, "big") + b"\x00", b"\x02\x00\x00\x04\x00"]  # 5: this table; 6: in 4
    table = b"".join(rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 7 /W [1 3 1] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


async def test_an_object_stream_bomb_is_refused_in_little_memory(live_server: LiveServer) -> None:
    content = _object_stream_bomb(1024)
    with pikepdf.open(io.BytesIO(_object_stream_bomb(1))) as small:  # the same file, defused, is a good one
        assert len(small.pages) == 1 and small.pages[0].Resources.ProcSet == [pikepdf.Name.PDF]
    error = await _refused(live_server, content)
    assert error["details"] == {"reason": "decompressed_too_large", "part": "stream", "limit_mb": 16}
    cost, details = _refusal_cost(live_server, content)
    assert details == error["details"]
    # qpdf opens the file under its own decode limit (pdfbudget.guard_qpdf: 64 MB a decoder, the image limit), then
    # check_object_streams refuses it: 65 MB measured. Unbounded (the limits of a 4 GB upload limit: qpdf decodes
    # the whole object stream as it opens the file), the same check cost 2.1 GB (2048 MB over the imports).
    assert cost < 4 * pdfbudget.Limits.for_upload(1).image  # 256 MB


async def test_too_many_pages_are_refused_before_the_file_is_decoded_rewritten_or_rendered(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5000 pages sharing one content stream; one page also carries a bomb, never reached."""
    work: list[str] = []
    renderer = renderer_for(live_server.app.state.ctx)
    run, save = renderer.run, cdr.save

    async def spy_run(fn: Any, *args: Any) -> Any:
        work.append(fn.__name__)
        return await run(fn, *args)

    def spy_save(pdf: Any, target: Any) -> None:
        work.append("rewrite")
        save(pdf, target)

    monkeypatch.setattr(renderer, "run", spy_run)
    monkeypatch.setattr(cdr, "save", spy_save)
    pdf = pikepdf.new()
    text = pdf.make_indirect(pikepdf.Stream(pdf, b"BT /F1 24 Tf 72 700 Td (p) Tj ET"))
    for _ in range(5000):
        pdf.pages.append(
            pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842], Contents=text))
        )
    bomb = pikepdf.Stream(pdf, zlib.compress(_spaces(256), 9))
    bomb.Filter = pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode])
    pdf.pages[0].Contents = pdf.make_indirect(bomb)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    error = await _refused(live_server, out.getvalue())
    assert error["details"] == {"reason": "too_many_pages", "page_count": 5000, "max_pages": 40}
    assert "5000 trang" in error["message"] and "40 trang" in error["message"]
    assert work == []  # no PDFium job (open check, text, render) and no rewrite


def _scan_page(mode: str) -> Image.Image:
    """A 300 dpi A4 page (2480 × 3508) of text-like lines."""
    img = Image.new(mode, (2480, 3508), "white")
    draw = ImageDraw.Draw(img)
    for y in range(300, 3300, 60):
        draw.rectangle([250, y, 2200 - (y % 7) * 40, y + 30], fill="black")
    return img


async def test_a_300_dpi_scan_is_accepted_and_its_stored_copy_is_within_the_limits(live_server: LiveServer) -> None:
    """Grey pages stored with Flate (8.7 MB each decoded), one colour page with Flate (26 MB: over a stream's
    limit, within an image's) and one JPEG page."""
    grey, colour = _scan_page("L"), _scan_page("RGB")
    jpeg = io.BytesIO()
    grey.save(jpeg, "JPEG", quality=60)
    pages = [_image(2480, 3508, zlib.compress(grey.tobytes()), ["/FlateDecode"]) for _ in range(2)]
    pages.append(_image(2480, 3508, zlib.compress(colour.tobytes()), ["/FlateDecode"], grey=False))
    pages.append(_image(2480, 3508, jpeg.getvalue(), ["/DCTDecode"]))
    content = _pdf(pages)
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        r = await upload(staff, c.meeting_id, content, filename="ban-quet.pdf")
        assert r.status_code == 201, r.text
        assert r.json()["page_count"] == 4
        sha = live_server.db.run_read(lambda session: session.exec(select(DocumentVersion.sha256)).one())
        kept = live_server.settings.data_dir / "files" / sha[:2] / f"{sha}.pdf"
        with pikepdf.open(kept) as stored:  # what is served passes the same limits
            pdfbudget.check(stored, "ban-quet.pdf", pdfbudget.Limits.for_upload(1))
        download = await member.get(f"/api/documents/{r.json()['id']}/download")
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
    finally:
        await staff.aclose()
        await member.aclose()


def _lzw(data: bytes) -> bytes:
    """LZWDecode with EarlyChange 1, as PDF writers encode it (a clear code before the table fills)."""
    table: dict[bytes, int] = {}
    bits = nbits = 0
    width, out, word = 9, bytearray(), b""

    def put(code: int) -> None:
        nonlocal bits, nbits
        bits, nbits = (bits << width) | code, nbits + width
        while nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 0xFF)
        bits &= (1 << nbits) - 1

    put(256)
    for byte in data:
        longer = word + bytes([byte])
        if len(longer) == 1 or longer in table:
            word = longer
            continue
        put(table[word] if len(word) > 1 else word[0])
        table[longer] = 258 + len(table)
        if 258 + len(table) + 1 > (1 << width) and width < 12:
            width += 1
        if 258 + len(table) >= 4094:
            put(256)
            table, width = {}, 9
        word = bytes([byte])
    put(table[word] if len(word) > 1 else word[0])
    put(257)
    if nbits:
        out.append((bits << (8 - nbits)) & 0xFF)
    return bytes(out)


@pytest.mark.parametrize(
    "filters, encode",
    [
        (["/FlateDecode"], zlib.compress),
        (["/LZWDecode"], _lzw),
        (["/ASCIIHexDecode"], lambda d: d.hex().encode() + b">"),
        (["/ASCII85Decode"], lambda d: base64.a85encode(d, adobe=True)[2:]),
        (
            ["/RunLengthDecode"],
            lambda d: b"".join(bytes([256 - 99, b]) for b in d[:10]) + bytes([127]) + d[:128] + b"\x80",
        ),
        (["/ASCII85Decode", "/FlateDecode"], lambda d: base64.a85encode(zlib.compress(d), adobe=True)[2:]),
    ],
)
def test_the_measuring_decoders_agree_with_qpdf(filters: list[str], encode: Any) -> None:
    """A decoder that under-counts would let a bomb through: each one decodes what qpdf decodes."""
    data = b"".join(b"BT /F1 12 Tf 72 %d Td (dong %d) Tj ET\n" % (i, i * 7) for i in range(3000)) + bytes(range(256))
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, encode(data))
    stream.Filter = pikepdf.Array([pikepdf.Name(f) for f in filters])
    chunks = pdfdecode.slices(stream.read_raw_bytes())
    for name in filters:
        chunks = pdfdecode.DECODERS[name](chunks)
    assert b"".join(chunks) == stream.read_bytes(pikepdf.StreamDecodeLevel.all)
