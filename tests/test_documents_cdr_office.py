"""Office uploads reach nothing outside themselves, with the real LibreOffice: an image linked to an HTTP
server the test runs on 127.0.0.1 is never fetched; a file:/// image (DOCX, ODT) naming a file the test
wrote never brings it into the served PDF. The cleaning alone leaves no outside reference (linked images,
INCLUDETEXT/INCLUDEPICTURE/DDE/LINK fields, ODT sections, DDE and macro links, external workbooks and
INDIRECT): LibreOffice does not update such links on load today, so the cleaning is checked on the file it
would get. The sandbox on its own, zip bombs and DTDs: tests/test_documents_cdr_sandbox.py."""

from __future__ import annotations

import http.server
import io
import re
import threading
import zipfile
from pathlib import Path
from typing import Callable, Iterator

import docx
import pikepdf
import pytest
from PIL import Image

from infra.settings import Settings
from documents import officeclean
from tests.conftest import LiveServer, free_port
from tests.doc_helpers import upload
from tests.factories import make_cabinet
from tests.live import login
from tests.test_documents_convert import soffice  # noqa: F401  (fixture: LibreOffice and its fonts are there)

SECRET = "BI-MAT-MAY-CHU-7f3a"  # in the server's files the documents point at; must never reach a PDF
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", port=free_port(), socket_rate_per_second=200)


@pytest.fixture
def web() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that answers a PNG and notes every request it gets."""
    hits: list[str] = []
    png = _png()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.fixture
def secrets(tmp_path: Path) -> dict[str, Path]:
    """Server files outside any upload: a text and an image (its pixels spell nothing, so we look for images)."""
    text = tmp_path / "secret.txt"
    text.write_text(f"{SECRET}\n")
    image = tmp_path / "secret.png"
    image.write_bytes(_png())
    return {"text": text, "image": image}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _rewrite(data: bytes, edits: dict[str, bytes | Callable[[str], str]]) -> bytes:
    """A copy of the zip with parts replaced (bytes) or transformed (a function of the old text)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            edit = edits.get(name)
            body = src.read(name)
            z.writestr(name, edit(body.decode()) if callable(edit) else (edit if edit is not None else body))
    return out.getvalue()


def docx_linked_image(target: str) -> bytes:
    """A DOCX whose picture is not in the file but linked (r:link, TargetMode="External") to `target`."""
    d = docx.Document()
    d.add_paragraph("Tờ trình có hình liên kết ngoài")
    d.add_picture(io.BytesIO(_png()))
    raw = io.BytesIO()
    d.save(raw)
    rels = zipfile.ZipFile(io.BytesIO(raw.getvalue())).read("word/_rels/document.xml.rels").decode()
    rid = re.search(r'Id="(rId\d+)"[^>]*Type="[^"]*/image"|Type="[^"]*/image"[^>]*Id="(rId\d+)"', rels)
    assert rid is not None
    rid_value = rid.group(1) or rid.group(2)

    def link(xml: str) -> str:
        return re.sub(
            rf'<Relationship ([^>]*)Id="{rid_value}"[^>]*/>',
            f'<Relationship Id="{rid_value}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
            f'Target="{target}" TargetMode="External"/>',
            xml,
        )

    return _rewrite(
        raw.getvalue(),
        {
            "word/_rels/document.xml.rels": link,
            "word/document.xml": lambda xml: xml.replace(f'r:embed="{rid_value}"', f'r:link="{rid_value}"'),
        },
    )


def docx_field(code: str) -> bytes:
    """A DOCX with a complex field (its code split over two runs, as Word writes them) and a shown result."""
    d = docx.Document()
    d.add_paragraph("Tờ trình có trường liên kết")
    raw = io.BytesIO()
    d.save(raw)
    half = code.index(" ", 2)  # after the field name, as Word often splits it
    runs = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText '
        f'xml:space="preserve">{code[:half]}</w:instrText></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{code[half:]}</w:instrText></w:r><w:r><w:fldChar '
        'w:fldCharType="separate"/></w:r>'
        '<w:r><w:t>Kết quả cũ</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    return _rewrite(
        raw.getvalue(), {"word/document.xml": lambda xml: xml.replace("</w:body>", f"<w:p>{runs}</w:p></w:body>")}
    )


def odt(body: str) -> bytes:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
        'office:version="1.2"><office:body><office:text>'
        f"<text:p>Tờ trình dạng ODT</text:p>{body}</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED
        )
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return out.getvalue()


def odt_image(href: str) -> str:
    return (
        f'<text:p><draw:frame draw:name="h" svg:width="2cm" svg:height="2cm"><draw:image xlink:href="{href}" '
        'xlink:type="simple" '
        'xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>'
    )


def odt_section(href: str) -> str:
    return (
        f'<text:section text:name="s1"><text:section-source xlink:href="{href}" '
        'xlink:type="simple"/><text:p>cũ</text:p></text:section>'
    )


async def _served_pdf(live: LiveServer, content: bytes, filename: str) -> bytes:
    c = make_cabinet(live.db, n_members=1, n_items=1)
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, content, filename=filename)
        assert r.status_code == 201, r.text
        got = await staff.get(f"/api/documents/{r.json()['id']}/download")
        assert got.status_code == 200
        return got.content
    finally:
        await staff.aclose()


def _images(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return sum(len(page.get_images()) for page in doc.pages)


def _text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


async def test_a_docx_image_linked_to_a_local_web_server_is_never_fetched(
    live_server: LiveServer, soffice: str, web
) -> None:
    url, hits = web
    pdf = await _served_pdf(live_server, docx_linked_image(f"{url}/anh.png"), "to-trinh.docx")
    assert hits == [] and _images(pdf) == 0 and "hình liên kết ngoài" in _text(pdf)


async def test_a_docx_image_linked_to_a_server_file_is_not_embedded(
    live_server: LiveServer, soffice: str, secrets
) -> None:
    pdf = await _served_pdf(live_server, docx_linked_image(secrets["image"].as_uri()), "to-trinh.docx")
    assert _images(pdf) == 0 and "hình liên kết ngoài" in _text(pdf)


def docx_simple_field(code: str) -> bytes:
    d = docx.Document()
    d.add_paragraph("Tờ trình có trường liên kết")
    raw = io.BytesIO()
    d.save(raw)
    field = f'<w:p><w:fldSimple w:instr="{code}"><w:r><w:t>Kết quả cũ</w:t></w:r></w:fldSimple></w:p>'
    return _rewrite(raw.getvalue(), {"word/document.xml": lambda xml: xml.replace("</w:body>", f"{field}</w:body>")})


def xlsx_reaching_out(target: str) -> bytes:
    from tests.test_documents_convert import _xlsx

    book = _xlsx({"Tổng hợp": [["Khoản mục", "Dự toán 2027"]]})
    ext = (
        '<Relationship Id="rX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" '
        'Target="externalLinks/externalLink1.xml"/></Relationships>'
    )
    cell = f'<row r="2"><c r="A2"><f>INDIRECT("\'{target}\'#$Sheet1.A1")</f><v>0</v></c></row></sheetData>'
    return _rewrite(
        book,
        {
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace("</Relationships>", ext),
            "xl/worksheets/sheet1.xml": lambda xml: xml.replace("</sheetData>", cell),
        },
    )


def with_part(data: bytes, name: str, body: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in src.namelist():
            z.writestr(n, src.read(n))
        z.writestr(name, body)
    return out.getvalue()


def svg(t: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f"<style>@import url(http://{t}/a.css);</style>"
        f'<image xlink:href="file:///srv/{t}.png" width="9" height="9"/>'
        f'<rect fill="url(http://{t}/#g)" width="9" height="9"/></svg>'
    )


def mail_merge(t: str) -> bytes:
    merge = (
        f'<w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:connectString w:val="Data Source=/srv/{t}.xls"/>'
        '<w:query w:val="SELECT * FROM x"/></w:mailMerge></w:settings>'
    )
    return _rewrite(docx_field(" PAGE "), {"word/settings.xml": lambda xml: xml.replace("</w:settings>", merge)})


# (builder of a hostile file from the outside target, kind, text that must stay). The target is a URL or path
# that only the hostile reference holds: after cleaning it must be nowhere in the file.
OUTSIDE = {
    "DOCX image linked over http": (lambda t: docx_linked_image(f"http://{t}/anh.png"), "docx", "hình liên kết ngoài"),
    "DOCX image linked to a file": (lambda t: docx_linked_image(f"file:///{t}/anh.png"), "docx", "hình liên kết ngoài"),
    "DOCX INCLUDETEXT field": (lambda t: docx_field(f' INCLUDETEXT "/srv/{t}.txt" '), "docx", "Kết quả cũ"),
    "DOCX INCLUDEPICTURE field": (
        lambda t: docx_field(f' INCLUDEPICTURE "http://{t}/a.png" \\d '),
        "docx",
        "Kết quả cũ",
    ),
    "DOCX DDEAUTO field": (lambda t: docx_field(f' DDEAUTO c:\\\\windows\\\\{t}.exe "/c calc" '), "docx", "Kết quả cũ"),
    "DOCX LINK field": (
        lambda t: docx_field(f' LINK Excel.Sheet.8 "/srv/{t}.xls" "Sheet1!R1C1" '),
        "docx",
        "Kết quả cũ",
    ),
    "DOCX simple INCLUDETEXT field": (
        lambda t: docx_simple_field(f"INCLUDETEXT &quot;/srv/{t}.txt&quot;"),
        "docx",
        "Kết quả cũ",
    ),
    "DOCX HYPERLINK field to a file": (lambda t: docx_field(f' HYPERLINK "file:///srv/{t}" '), "docx", "Kết quả cũ"),
    "ODT image over http": (lambda t: odt(odt_image(f"http://{t}/a.png")), "odt", "Tờ trình dạng ODT"),
    "ODT image from a file": (lambda t: odt(odt_image(f"/srv/{t}.png")), "odt", "Tờ trình dạng ODT"),
    "ODT linked section": (lambda t: odt(odt_section(f"file:///srv/{t}.txt")), "odt", "Tờ trình dạng ODT"),
    "ODT DDE section": (
        lambda t: odt(f'<text:section text:name="d"><office:dde-source office:dde-application="{t}"/></text:section>'),
        "odt",
        "Tờ trình dạng ODT",
    ),
    "ODT macro link": (
        lambda t: odt(f'<text:p><text:a xlink:href="vnd.sun.star.script:{t}?language=Basic">x</text:a></text:p>'),
        "odt",
        "Tờ trình dạng ODT",
    ),
    "DOCX SVG picture reaching out": (
        lambda t: with_part(docx_field(" PAGE "), "word/media/image9.svg", svg(t)),
        "docx",
        "Kết quả cũ",
    ),
    "DOCX mail merge data source": (mail_merge, "docx", "Kết quả cũ"),
    "ODT SVG picture reaching out": (
        lambda t: with_part(odt(""), "Pictures/a.svg", svg(t)),
        "odt",
        "Tờ trình dạng ODT",
    ),
    "XLSX external workbook and INDIRECT": (lambda t: xlsx_reaching_out(f"file:///srv/{t}.ods"), "xlsx", "Khoản mục"),
}


@pytest.mark.parametrize("case", OUTSIDE)
def test_cleaning_leaves_no_outside_reference_and_keeps_the_content(tmp_path: Path, case: str) -> None:
    make, kind, kept = OUTSIDE[case]
    target = "noi-ngoai-tep-9c1e"
    source = tmp_path / f"in.{kind}"
    source.write_bytes(make(target))
    assert target.encode() in b"".join(zipfile.ZipFile(source).read(n) for n in zipfile.ZipFile(source).namelist())
    officeclean.clean(source, tmp_path / f"out.{kind}", kind, f"in.{kind}")
    cleaned = zipfile.ZipFile(tmp_path / f"out.{kind}")
    everything = b"".join(cleaned.read(n) for n in cleaned.namelist())
    assert target.encode() not in everything and kept.encode() in everything


async def test_an_odt_reaches_neither_the_network_nor_server_files(
    live_server: LiveServer, soffice: str, web, secrets
) -> None:
    url, hits = web
    body = odt_image(f"{url}/anh.png") + odt_image(secrets["image"].as_uri()) + odt_section(secrets["text"].as_uri())
    pdf = await _served_pdf(live_server, odt(body), "to-trinh.odt")
    assert hits == [] and _images(pdf) == 0
    assert SECRET not in _text(pdf) and "Tờ trình dạng ODT" in _text(pdf)
