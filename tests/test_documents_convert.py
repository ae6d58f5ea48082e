"""Office uploads converted by the real LibreOffice (`soffice`, which .ci/run installs; missing, these tests fail):
a Vietnamese DOCX and an XLSX become documents whose pages render and whose text is searchable without
diacritics, a damaged file is refused clearly and leaves nothing behind. Plus the conversion's own limits: a
relative data dir, a time limit that kills everything LibreOffice started, two conversions at a time."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import zipfile
from typing import cast
from pathlib import Path

import docx
import psutil
import pytest
from PIL import Image

from infra.settings import Settings
from core.errors import ValidationFailed
from documents import convert
from tests.conftest import LiveServer, free_port
from tests.doc_helpers import upload
from tests.factories import make_cabinet
from tests.live import login
from tests.test_documents_upload import _rows, _stored
from tests.waiting import eventually_sync

TITLE = "Tờ trình về dự toán ngân sách nhà nước năm 2027"


@pytest.fixture
def soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        pytest.fail(
            "LibreOffice is not installed (no `soffice` on PATH): apt-get install -y libreoffice-writer-nogui "
            "libreoffice-calc-nogui, as .ci/run does. Office uploads cannot be tested without it."
        )
    vietnamese = subprocess.run(
        ["fc-list", ":charset=1ea1", "family"], capture_output=True, text=True, check=False
    ).stdout
    if "Liberation Serif" not in vietnamese:  # fonts-liberation (1.x) lacks "ạ", "ầ", "ư", ...
        pytest.fail(
            "No Liberation fonts with Vietnamese letters (Times New Roman/Arial substitutes for LibreOffice): "
            "apt-get install -y fonts-liberation2, as .ci/run does."
        )
    return path


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    # A space and Vietnamese letters in the data dir: the LibreOffice profile URL must be percent-encoded.
    # Parametrised with a shell script's text, the server runs that script as its `soffice`.
    script = getattr(request, "param", None)
    soffice = "soffice"
    if script:
        fake = tmp_path / "soffice"
        fake.write_text(script)
        fake.chmod(0o755)
        soffice = str(fake)
    # A stand-in script cannot write beside itself in the sandbox: those tests run it unsandboxed.
    return Settings(
        data_dir=tmp_path / "dữ liệu ecabinet",
        port=free_port(),
        socket_rate_per_second=200,
        soffice=soffice,
        soffice_sandbox=not script,
    )


def _docx() -> bytes:
    """Three pages (explicit breaks, so the count does not depend on fonts): "ngân sách" on pages 1 and 2 only.
    In Times New Roman, as Vietnamese administrative documents are: LibreOffice needs a metric-compatible font
    with every Vietnamese letter (fonts-liberation2), else pdfium reads the fallback letters out of order."""
    d = docx.Document()
    for style in ("Normal", "Heading 1"):
        d.styles[style].font.name = "Times New Roman"
    d.add_heading(TITLE, level=1)
    d.add_paragraph("Kính gửi: Chính phủ. Bộ Tài chính kính trình dự thảo để Chính phủ xem xét, quyết định.")
    d.add_page_break()
    d.add_paragraph("Tổng thu cân đối ngân sách nhà nước đạt 1.700 nghìn tỷ đồng.")
    d.add_page_break()
    d.add_paragraph("Kiến nghị: Chính phủ thống nhất trình Quốc hội tại kỳ họp thứ mười.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


_XLSX_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _xlsx(sheets: dict[str, list[list[str]]]) -> bytes:
    """A minimal SpreadsheetML workbook (inline strings; no openpyxl in the dependencies). Calc prints each
    sheet on its own page."""
    n = range(1, len(sheets) + 1)
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_XLSX_TYPES}.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_XLSX_TYPES}.worksheet+xml"/>' for i in n
        )
        + "</Types>",
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="r1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="r{i}"/>' for i, name in zip(n, sheets))
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": "<Relationships "
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="r{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in n)
        + "</Relationships>",
    }
    for i, rows in zip(n, sheets.values()):
        cells = "".join(
            f'<row r="{r}">'
            + "".join(f'<c r="{"AB"[c]}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in enumerate(row))
            + "</row>"
            for r, row in enumerate(rows, 1)
        )
        wide_a = (
            '<cols><col min="1" max="1" width="40" customWidth="1"/></cols>'  # Calc clips text at a filled neighbour
        )
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'<worksheet xmlns="{_MAIN}">{wide_a}<sheetData>{cells}</sheetData></worksheet>'
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + xml)
    return out.getvalue()


def _soffice_running(live: LiveServer) -> list[str]:
    lines = (" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"]))
    return [line for line in lines if str(live.settings.data_dir) in line]


async def _converted(live: LiveServer, content: bytes, filename: str, kind: str, pages: int) -> tuple[int, str]:
    """Upload over HTTP as the secretariat; check what users see: the page count, every page as an image.
    Answers the document and a member who may read it."""
    c = make_cabinet(live.db)
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, content, filename=filename, title=TITLE)
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["page_count"] == pages
        version = (await staff.get(f"/api/documents/{doc['id']}")).json()["versions"][0]
        assert (version["source_kind"], version["source_name"]) == (kind, filename)
        for n in range(1, pages + 1):
            page = await staff.get(f"/api/documents/{doc['id']}/pages/{n}")
            assert page.status_code == 200 and page.headers["content-type"] == "image/png"
            # a greyscale image: (darkest, lightest)
            darkest, _ = cast(tuple[int, int], Image.open(io.BytesIO(page.content)).convert("L").getextrema())
            assert darkest < 100, f"page {n} is blank"
        assert (await staff.get(f"/api/documents/{doc['id']}/pages/{pages + 1}")).status_code == 404
        assert _soffice_running(live) == [] and list((live.settings.data_dir / "tmp").iterdir()) == []
        return doc["id"], c.members[0].username
    finally:
        await staff.aclose()


async def _search(live: LiveServer, reader: str, doc: int, q: str) -> list[tuple[int, str]]:
    http = await login(live.url, reader)
    try:
        r = await http.get(f"/api/documents/{doc}/text", params={"q": q})
        assert r.status_code == 200, r.text
        return [(m["page"], m["match"]) for m in r.json()["matches"]]
    finally:
        await http.aclose()


async def test_a_vietnamese_docx_becomes_a_document_with_its_pages_and_searchable_text(
    live_server: LiveServer, soffice: str
) -> None:
    doc, reader = await _converted(live_server, _docx(), "Tờ trình dự toán 2027.docx", "docx", 3)
    # The diacritics survive LibreOffice and the PDF text layer; the search finds them without diacritics.
    assert await _search(live_server, reader, doc, "ngan sach") == [(1, "ngân sách"), (2, "ngân sách")]
    title = "dự toán ngân sách nhà nước năm 2027"
    assert await _search(live_server, reader, doc, "du toan ngan sach nha nuoc nam 2027") == [(1, title)]
    assert await _search(live_server, reader, doc, "tong thu can doi") == [(2, "Tổng thu cân đối")]


async def test_an_xlsx_becomes_a_document_with_a_page_per_sheet(live_server: LiveServer, soffice: str) -> None:
    workbook = _xlsx(
        {
            "Tổng hợp": [["Khoản mục", "Dự toán 2027"], ["Chi đầu tư phát triển", "790.000 tỷ đồng"]],
            "Chi tiết": [["Khoản mục", "Dự toán 2027"], ["Tổng thu cân đối ngân sách nhà nước", "1.700.000 tỷ đồng"]],
        }
    )
    doc, reader = await _converted(live_server, workbook, "du-toan-2027.xlsx", "xlsx", 2)
    assert await _search(live_server, reader, doc, "ngan sach") == [(2, "ngân sách")]
    assert await _search(live_server, reader, doc, "chi dau tu phat trien") == [(1, "Chi đầu tư phát triển")]


async def test_a_damaged_docx_is_refused_clearly_and_leaves_nothing(live_server: LiveServer, soffice: str) -> None:
    good = zipfile.ZipFile(io.BytesIO(_docx()))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as z:  # a real DOCX whose text part is garbage: LibreOffice cannot load it
        for name in good.namelist():
            z.writestr(name, os.urandom(4000) if name == "word/document.xml" else good.read(name))
    cases = {
        # named .docx: a broken DOCX, not "not a PDF"
        "random bytes named .docx": (os.urandom(20_000), "damaged", "Tệp “to-trinh.docx” không phải tệp DOCX hợp lệ"),
        # refused by the cleaning before LibreOffice: what we cannot parse, we do not pass on
        "damaged DOCX": (damaged.getvalue(), "damaged", "Tệp “to-trinh.docx” có phần word/document.xml không đọc được"),
    }
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        for case, (content, reason, words) in cases.items():
            r = await upload(staff, c.meeting_id, content, filename="to-trinh.docx")
            assert r.status_code == 422, (case, r.text)
            error = r.json()["error"]
            assert error["details"]["reason"] == reason and words in error["message"], (case, error)
        assert _stored(live_server) == [] and _rows(live_server) == 0 and _soffice_running(live_server) == []
    finally:
        await staff.aclose()


def test_a_relative_data_dir_converts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, soffice: str) -> None:
    """The default data dir (`var`) is relative; LibreOffice needs an absolute profile URL, else it hangs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(convert, "TIMEOUT_SECONDS", 60)
    source = Path("var/tmp/upload")
    source.parent.mkdir(parents=True)
    source.write_bytes(_docx())
    pdf = convert.to_pdf(source, "docx", soffice=soffice, filename="to-trinh.docx")
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in source.parent.iterdir()) == ["upload", "upload.converted.pdf"]  # no work dir left


def test_a_conversion_past_its_time_limit_is_refused_and_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`soffice` is a launcher whose child does the work: the time limit must end both."""
    pidfile = tmp_path / "child.pid"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > '{pidfile}'\nwait\n")
    fake.chmod(0o755)
    monkeypatch.setattr(convert, "TIMEOUT_SECONDS", 1)
    source = tmp_path / "upload"
    source.write_bytes(_docx())
    with pytest.raises(ValidationFailed) as refused:
        convert.to_pdf(source, "docx", soffice=str(fake), filename="to-trinh.docx", sandboxed=False)
    assert refused.value.details["reason"] == "conversion_failed" and "quá 1 giây" in refused.value.message
    child = int(pidfile.read_text())

    def child_gone() -> bool:
        try:
            return psutil.Process(child).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    eventually_sync(child_gone, f"the launcher's child {child} to end with the time limit", timeout=5, interval=0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["child.pid", "soffice", "upload"]


# A stand-in LibreOffice that notes when it starts and ends (appends of a few bytes are atomic), works 0.4 s, fails.
SLOW_FAILING_SOFFICE = """#!/bin/sh
echo start >> "$(dirname "$0")/runs.log"
sleep 0.4
echo end >> "$(dirname "$0")/runs.log"
echo "cannot convert" >&2
exit 1
"""


@pytest.mark.parametrize("settings", [SLOW_FAILING_SOFFICE], indirect=True)
async def test_office_uploads_convert_two_at_a_time(live_server: LiveServer) -> None:
    """A burst of office uploads queues for LibreOffice instead of starting one soffice each."""
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        content = _docx()
        replies = await asyncio.gather(*(upload(staff, c.meeting_id, content, filename=f"{i}.docx") for i in range(5)))
        assert [r.status_code for r in replies] == [422] * 5
        assert all(r.json()["error"]["details"]["reason"] == "conversion_failed" for r in replies)
        running, peak = 0, 0
        for line in (Path(live_server.settings.soffice).parent / "runs.log").read_text().split():
            running += 1 if line == "start" else -1
            peak = max(peak, running)
        assert peak == 2
        assert _stored(live_server) == [] and _rows(live_server) == 0
    finally:
        await staff.aclose()
