"""Office parts reach LibreOffice only when the package declares a type a document needs and the bytes are what
that type says (documents/officeparts.py), whatever they are named: real hostile samples built here (a macro-enabled
DOCX with its VBA project, an XLSX with an external workbook and a DDE formula, an HTML altChunk, a main part named
document.bin, an OLE object, embedded fonts, an ODT with Basic macros and script events, an SVG with a script named
image.png, pictures linked over http). Each is cleaned, the upload's answer names what was removed (as for PDFs),
the served PDF carries no active content, nothing is fetched while converting (also without the sandbox: the
cleaning and LibreOffice's profile hold on their own), and an ordinary Vietnamese DOCX still converts intact."""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Mapping
from pathlib import Path

import docx
import pikepdf
import pytest

from documents import convert, officeclean
from tests.conftest import LiveServer
from tests.doc_helpers import upload
from tests.factories import make_cabinet
from tests.live import login
from tests.test_documents_cdr_office import _png, _rewrite, _text, odt
from tests.test_documents_cdr_office import settings, web  # noqa: F401  (fixtures: a port; a web server that notes hits)
from tests.test_documents_convert import _docx, _xlsx
from tests.test_documents_convert import soffice  # noqa: F401  (fixture: LibreOffice and its fonts are there)

MARK = "dau-vet-doc-hai-5b2d"  # only the hostile content holds it: after cleaning it is nowhere
KEPT = "Tờ trình về dự toán ngân sách nhà nước năm 2027"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE = "application/vnd.openxmlformats-officedocument"
SVG_SCRIPT = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><script>fetch("http://{m}/")</script>'
    '<rect width="9" height="9" onload="alert(\'{m}\')"/></svg>'
)


def _base() -> bytes:
    d = docx.Document()
    d.add_paragraph(KEPT)
    raw = io.BytesIO()
    d.save(raw)
    return raw.getvalue()


def _add(data: bytes, parts: Mapping[str, bytes | str], types: str = "", rels: str = "", body: str = "") -> bytes:
    """The DOCX `data` with parts added, entries added to [Content_Types].xml, the main part's relationships and
    its body."""
    out = _rewrite(
        data,
        {
            "[Content_Types].xml": lambda x: x.replace("</Types>", f"{types}</Types>"),
            "word/_rels/document.xml.rels": lambda x: x.replace("</Relationships>", f"{rels}</Relationships>"),
            "word/document.xml": lambda x: x.replace("<w:sectPr", f"{body}<w:sectPr", 1),
        },
    )
    buf = io.BytesIO(out)
    with zipfile.ZipFile(buf, "a") as z:
        for name, value in parts.items():
            z.writestr(name, value)
    return buf.getvalue()


def docm(m: str) -> bytes:
    """A macro-enabled DOCX: the main part declared docm, a VBA project and its relationship."""
    data = _rewrite(
        _base(),
        {
            "[Content_Types].xml": lambda x: x.replace(
                f"{OFFICE}.wordprocessingml.document.main+xml", "application/vnd.ms-word.document.macroEnabled.main+xml"
            )
        },
    )
    return _add(
        data,
        {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + f'Sub AutoOpen() Shell "{m}"'.encode()},
        types='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
        rels='<Relationship Id="rV" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        'Target="vbaProject.bin"/>',
    )


def xlsx_dde(m: str) -> bytes:
    book = _xlsx({"Tổng hợp": [[KEPT, "Dự toán"]]})
    link = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<externalBook xmlns:r="{R}" r:id="rId1"/></externalLink>'
    )
    link_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R}/externalLinkPath" Target="file:///srv/{m}.xlsx" '
        'TargetMode="External"/></Relationships>'
    )
    out = _rewrite(
        book,
        {
            "[Content_Types].xml": lambda x: x.replace(
                "</Types>",
                f'<Override PartName="/xl/externalLinks/externalLink1.xml" '
                f'ContentType="{OFFICE}.spreadsheetml.externalLink+xml"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                "</Relationships>",
                f'<Relationship Id="rX" Type="{R}/externalLink" Target="externalLinks/externalLink1.xml"/>'
                "</Relationships>",
            ),
            "xl/worksheets/sheet1.xml": lambda x: x.replace(
                "</sheetData>", f'<row r="3"><c r="A3"><f>cmd|\'/c calc {m}\'!A1</f><v>0</v></c></row></sheetData>'
            ),
        },
    )
    buf = io.BytesIO(out)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("xl/externalLinks/externalLink1.xml", link)
        z.writestr("xl/externalLinks/_rels/externalLink1.xml.rels", link_rels)
    return buf.getvalue()


def altchunk(m: str) -> bytes:
    return _add(
        _base(),
        {
            "word/chunk.html": f'<!DOCTYPE html><html><body><img src="http://{m}/a.png"><script>{m}</script></body></html>'
        },
        types='<Override PartName="/word/chunk.html" ContentType="text/html"/>',
        rels=f'<Relationship Id="rA" Type="{R}/aFChunk" Target="chunk.html"/>',
        body='<w:altChunk r:id="rA"/>',
    )


def main_named_bin(m: str) -> bytes:
    """The real main part is word/document.bin (declared main+xml, named by _rels/.rels); document.xml a decoy."""
    src = zipfile.ZipFile(io.BytesIO(_base()))
    real = (
        src.read("word/document.xml")
        .decode()
        .replace(
            "<w:sectPr",
            '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE '
            f'"http://{m}/a.png" \\d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            '<w:r><w:t>Ảnh cũ</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p><w:sectPr',
            1,
        )
    )
    out = _rewrite(
        _base(),
        {
            "[Content_Types].xml": lambda x: x.replace(
                'PartName="/word/document.xml"', 'PartName="/word/document.bin"'
            ),
            "_rels/.rels": lambda x: x.replace('Target="word/document.xml"', 'Target="word/document.bin"'),
        },
    )
    buf = io.BytesIO(out)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("word/document.bin", real)
        z.writestr("word/_rels/document.bin.rels", src.read("word/_rels/document.xml.rels"))
    return buf.getvalue()


def ole(m: str) -> bytes:
    return _add(
        _base(),
        {"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1Package " + m.encode()},
        types=f'<Override PartName="/word/embeddings/oleObject1.bin" ContentType="{OFFICE}.oleObject"/>',
        rels=f'<Relationship Id="rO" Type="{R}/oleObject" Target="embeddings/oleObject1.bin"/>',
    )


def font(m: str) -> bytes:
    return _add(
        _base(),
        {"word/fonts/font1.odttf": b"\x00\x01\x00\x00" + m.encode()},
        types=f'<Default Extension="odttf" ContentType="{OFFICE}.obfuscatedFont"/>',
    )


def svg_as_png(m: str) -> bytes:
    return _add(
        _base(),
        {"word/media/image1.png": SVG_SCRIPT.format(m=m)},
        types='<Default Extension="png" ContentType="image/png"/>',
        rels=f'<Relationship Id="rI" Type="{R}/image" Target="media/image1.png"/>',
    )


def external_image(m: str) -> bytes:
    return _add(
        _base(),
        {},
        rels=f'<Relationship Id="rE" Type="{R}/image" Target="http://{m}/a.png" TargetMode="External"/>',
    )


def odt_macros(m: str) -> bytes:
    events = (
        '<office:event-listeners xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0">'
        '<script:event-listener script:language="ooo:script" script:event-name="dom:load" '
        f'xlink:href="vnd.sun.star.script:Standard.Module1.{m}?language=Basic&amp;location=document"/>'
        "</office:event-listeners>"
    )
    data = odt(f"<text:p>{KEPT}</text:p>")
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("basic/Standard/Module1.xml", f'<module name="Module1">Sub {m}\nShell("calc")\nEnd Sub</module>')
        z.writestr("Scripts/python/x.py", f"import os; os.system('{m}')")
    out = _rewrite(buf.getvalue(), {"content.xml": lambda x: x.replace("<office:body>", f"{events}<office:body>")})
    return out


# name -> (builder, kind, labels the answer must name)
HOSTILE = {
    "DOCM with a VBA project": (docm, "docx", {"Macro"}),
    "XLSX external link and DDE formula": (xlsx_dde, "xlsx", {"ExternalLink", "DDE"}),
    "DOCX HTML altChunk": (altchunk, "docx", {"AltChunk"}),
    "DOCX main part named document.bin": (main_named_bin, "docx", {"LinkedField"}),
    "DOCX OLE embedding": (ole, "docx", {"OLEObject"}),
    "DOCX embedded font": (font, "docx", {"EmbeddedFont"}),
    "DOCX SVG with a script named image.png": (svg_as_png, "docx", {"MismatchedPart"}),
    "DOCX picture linked over http": (external_image, "docx", {"ExternalLink"}),
    "ODT Basic and Python macros, script event": (odt_macros, "odt", {"Macro"}),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_parts_are_dropped_and_named_whatever_they_are_called(tmp_path: Path, case: str) -> None:
    make, kind, labels = HOSTILE[case]
    source = tmp_path / f"in.{kind}"
    source.write_bytes(make(MARK))
    assert MARK.encode() in b"".join(zipfile.ZipFile(source).read(n) for n in zipfile.ZipFile(source).namelist())
    removed = officeclean.clean(source, tmp_path / f"out.{kind}", kind, f"in.{kind}")
    out = zipfile.ZipFile(tmp_path / f"out.{kind}")
    everything = b"".join(out.read(n) for n in out.namelist())
    assert MARK.encode() not in everything and KEPT.encode() in everything, out.namelist()
    assert labels <= set(removed), removed
    assert b"macroEnabled" not in out.read("[Content_Types].xml" if kind != "odt" else "META-INF/manifest.xml")


def test_an_ordinary_docx_loses_nothing(tmp_path: Path) -> None:
    source = tmp_path / "in.docx"
    source.write_bytes(_docx())
    assert officeclean.clean(source, tmp_path / "out.docx", "docx", "in.docx") == {}
    before, after = zipfile.ZipFile(source), zipfile.ZipFile(tmp_path / "out.docx")
    assert sorted(before.namelist()) == sorted(after.namelist())


def test_duplicate_part_names_are_refused(tmp_path: Path) -> None:
    from core.errors import ValidationFailed

    buf = io.BytesIO(_base())
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("word/Document.xml", "<x/>")
    source = tmp_path / "in.docx"
    source.write_bytes(buf.getvalue())
    with pytest.raises(ValidationFailed) as err:
        officeclean.clean(source, tmp_path / "out.docx", "docx", "in.docx")
    assert err.value.details["reason"] == "damaged" and "Document.xml" in str(err.value.message)


def _everything(kind: str, url: str) -> bytes:
    """One file with every hostile part of its kind at once, each reaching for `url` where it can."""
    host = url.removeprefix("http://")
    if kind == "odt":
        return odt_macros(MARK)
    data = docm(MARK)
    for make in (altchunk, ole, font, svg_as_png):
        src = zipfile.ZipFile(io.BytesIO(make(MARK)))
        extra = {
            n: src.read(n)
            for n in src.namelist()
            if n.startswith(("word/chunk", "word/emb", "word/fonts", "word/media"))
        }
        data = _add(data, extra)
    return _add(
        data,
        {},
        types='<Override PartName="/word/chunk.html" ContentType="text/html"/>'
        f'<Override PartName="/word/embeddings/oleObject1.bin" ContentType="{OFFICE}.oleObject"/>'
        f'<Default Extension="odttf" ContentType="{OFFICE}.obfuscatedFont"/>'
        '<Default Extension="png" ContentType="image/png"/>',
        rels=f'<Relationship Id="rE" Type="{R}/image" Target="http://{host}/ext.png" TargetMode="External"/>'
        f'<Relationship Id="rA" Type="{R}/aFChunk" Target="chunk.html"/>'
        f'<Relationship Id="rI" Type="{R}/image" Target="media/image1.png"/>',
        body='<w:altChunk r:id="rA"/><w:p><w:fldSimple w:instr=" INCLUDEPICTURE &quot;'
        f'{url}/field.png&quot; \\d "><w:r><w:t>Ảnh cũ</w:t></w:r></w:fldSimple></w:p>',
    )


def _active(pdf: bytes) -> list[str]:
    """Active-content keys anywhere in the PDF (every object, streams expanded)."""
    found: list[str] = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                keys = set(obj.keys())
                found += [
                    k
                    for k in ("/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFile", "/RichMedia", "/XFA")
                    if k in keys
                ]
                if obj.get("/S") in (pikepdf.Name.JavaScript, pikepdf.Name.Launch, pikepdf.Name.URI):
                    found.append(str(obj.get("/S")))
    return found


@pytest.mark.parametrize("kind", ["docx", "odt"])
async def test_a_hostile_upload_is_cleaned_named_and_served_inert(
    live_server: LiveServer,
    soffice: str,  # noqa: F811  (the fixture imported above)
    web,  # noqa: F811
    kind: str,
) -> None:
    url, hits = web
    c = make_cabinet(live_server.db, n_members=1, n_items=1)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, _everything(kind, url), filename=f"to-trinh.{kind}")
        assert r.status_code == 201, r.text
        removed = r.json()["removed_content"]
        expected = {"Macro"} if kind == "odt" else {"Macro", "AltChunk", "OLEObject", "EmbeddedFont", "MismatchedPart"}
        assert expected <= set(removed), removed
        got = await staff.get(f"/api/documents/{r.json()['id']}/download")
        assert got.status_code == 200
    finally:
        await staff.aclose()
    assert hits == [] and _active(got.content) == []
    assert KEPT in _text(got.content) and MARK not in _text(got.content)


def test_without_the_sandbox_nothing_is_fetched_either(tmp_path: Path, soffice: str, web) -> None:  # noqa: F811
    """The cleaning and the profile on their own: LibreOffice run with the host's network gets nothing to fetch."""
    url, hits = web
    source = tmp_path / "in.docx"
    source.write_bytes(_everything("docx", url))
    pdf, removed = convert.to_pdf_cleaned(source, "docx", soffice=soffice, filename="in.docx", sandboxed=False)
    assert hits == [] and {"Macro", "ExternalLink", "LinkedField"} <= set(removed)
    assert KEPT in _text(pdf.read_bytes())


def test_an_xlsx_with_dde_and_an_external_workbook_converts_without_them(
    tmp_path: Path,
    soffice: str,  # noqa: F811
) -> None:
    source = tmp_path / "in.xlsx"
    source.write_bytes(xlsx_dde(MARK))
    pdf, removed = convert.to_pdf_cleaned(source, "xlsx", soffice=soffice, filename="in.xlsx")
    text = _text(pdf.read_bytes())
    assert KEPT in text and MARK not in text and {"DDE", "ExternalLink"} <= set(removed)


async def test_an_ordinary_vietnamese_docx_converts_with_its_diacritics(
    live_server: LiveServer,
    soffice: str,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    c = make_cabinet(live_server.db, n_members=1, n_items=1)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, _docx(), filename="to-trinh.docx")
        assert r.status_code == 201 and r.json()["removed_content"] == {}, r.text
        got = await staff.get(f"/api/documents/{r.json()['id']}/download")
    finally:
        await staff.aclose()
    pdf = tmp_path / "served.pdf"
    pdf.write_bytes(got.content)
    assert KEPT in _text(got.content) and "Kính gửi: Chính phủ" in _text(got.content)
    shot = tmp_path / "page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(shot)], check=True
    )
    assert shot.with_suffix(".png").stat().st_size > 5000  # a page with text, looked at by hand


def test_a_package_without_its_type_index_or_with_a_password_is_refused(tmp_path: Path) -> None:
    """Without [Content_Types].xml no part has a declared type; an encrypted ODF cannot be looked into."""
    from core.errors import ValidationFailed

    bare = tmp_path / "bare.docx"
    src = zipfile.ZipFile(io.BytesIO(_base()))
    with zipfile.ZipFile(bare, "w") as z:
        for n in src.namelist():
            if n != "[Content_Types].xml":
                z.writestr(n, src.read(n))
    with pytest.raises(ValidationFailed) as err:
        officeclean.clean(bare, tmp_path / "out.docx", "docx", "bare.docx")
    assert err.value.details["reason"] == "damaged" and "[Content_Types].xml" in str(err.value.message)
    locked = tmp_path / "locked.odt"
    locked.write_bytes(
        _rewrite(
            odt(""),
            {
                "META-INF/manifest.xml": lambda x: x.replace(
                    'manifest:media-type="text/xml"/>',
                    'manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K" '
                    'manifest:checksum="x"/></manifest:file-entry>',
                )
            },
        )
    )
    with pytest.raises(ValidationFailed) as err:
        officeclean.clean(locked, tmp_path / "out.odt", "odt", "locked.odt")
    assert err.value.details["reason"] == "encrypted" and not (tmp_path / "out.odt").exists()


def test_files_saved_by_libreoffice_and_word_lose_nothing(tmp_path: Path, soffice: str) -> None:  # noqa: F811
    """An ODT as LibreOffice writes it (an empty <office:scripts/>, Configurations2/) and a DOCX with a picture:
    nothing reported, no part dropped."""
    d = docx.Document()
    d.add_paragraph(KEPT)
    d.add_picture(io.BytesIO(_png()))
    (tmp_path / "in.docx").write_bytes(_docx_bytes(d))
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "odt", "--outdir", str(tmp_path)]
        + [str(tmp_path / "in.docx")],
        capture_output=True,
        timeout=120,
        check=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    for name in ("in.docx", "in.odt"):
        kind = name.rsplit(".", 1)[1]
        assert officeclean.clean(tmp_path / name, tmp_path / f"out.{kind}", kind, name) == {}
        before = {n for n in zipfile.ZipFile(tmp_path / name).namelist() if not n.endswith("/")}
        assert before == set(zipfile.ZipFile(tmp_path / f"out.{kind}").namelist())


def _docx_bytes(d: object) -> bytes:
    out = io.BytesIO()
    d.save(out)  # type: ignore[attr-defined]
    return out.getvalue()
