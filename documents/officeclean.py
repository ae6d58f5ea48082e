"""Office files (DOCX/XLSX/PPTX, ODT/ODS/ODP) rewritten without anything that reaches outside the file,
before LibreOffice sees them: it would fetch an external image over the network, or embed a local server
file (file:///...) into the PDF we serve. The second wall is documents/sandbox.py (no network, no files).

Removed: OOXML relationships with TargetMode="External" (except http(s)/mailto hyperlinks, which nothing
fetches during conversion) and relationships to OLE objects, ActiveX, macros, templates, alternative-format
chunks and external workbooks; Word fields other than known harmless ones (INCLUDETEXT, INCLUDEPICTURE, LINK,
DDE, DATABASE, IMPORT, ... are unlinked: their last shown result stays as plain text); spreadsheet formulas
that can open a file or URL (INDIRECT, WEBSERVICE, DDE, file: references; the cached value stays). ODF:
every xlink:href that leaves the package (except http(s)/mailto hyperlinks), linked sections and tables,
DDE, scripts and event listeners, applets, plug-ins, floating frames, OLE objects; Basic/ and Scripts/.
SVG pictures: references other than #id and data:, CSS imports and url(...) to outside. Word mail merge
settings (data source connection). Any attribute whose value is a file:, UNC, SMB, FTP or LibreOffice macro
URL is dropped wherever it is. Legacy VML that is not well-formed XML passes as it is (the sandbox holds).

Limits: at most MAX_ENTRIES members and MAX_UNCOMPRESSED bytes once decompressed (counted while reading,
not trusted from the headers): a zip bomb is refused. XML is parsed by lxml without entity expansion, DTD
loading or network, and a part with a DOCTYPE is refused (office formats never have one): no billion laughs,
no external entities.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

from core.i18n import Msg
from documents.pdfcheck import refuse

MAX_ENTRIES = 10_000
MAX_UNCOMPRESSED = 512 * 1024 * 1024
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False
)
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Relationship types (last path segment) removed even when internal: code, OLE, ActiveX, foreign content.
_DROPPED_RELS = {
    "oleobject",
    "package",
    "afchunk",
    "control",
    "activexcontrolbinary",
    "vbaproject",
    "attachedtemplate",
    "subdocument",
    "frame",
    "externallink",
    "externallinkpath",
    "connections",
    "querytable",
    "wordvbadata",
    "vbaprojectsignature",
    "mailmergesource",
    "recipientdata",
}
# Word field codes that only compute or format (everything else is unlinked).
_SAFE_FIELDS = {
    "PAGE",
    "NUMPAGES",
    "SECTIONPAGES",
    "SECTION",
    "DATE",
    "TIME",
    "CREATEDATE",
    "SAVEDATE",
    "PRINTDATE",
    "REF",
    "PAGEREF",
    "NOTEREF",
    "TOC",
    "TOA",
    "TA",
    "TC",
    "SEQ",
    "STYLEREF",
    "HYPERLINK",
    "FORMTEXT",
    "FORMCHECKBOX",
    "FORMDROPDOWN",
    "AUTHOR",
    "TITLE",
    "SUBJECT",
    "KEYWORDS",
    "COMMENTS",
    "DOCPROPERTY",
    "MERGEFIELD",
    "IF",
    "=",
    "SYMBOL",
    "EQ",
    "XE",
    "INDEX",
    "LISTNUM",
    "AUTONUM",
    "AUTONUMLGL",
    "AUTONUMOUT",
    "ADVANCE",
    "QUOTE",
    "SET",
    "NUMWORDS",
    "NUMCHARS",
    "LASTSAVEDBY",
    "EDITTIME",
    "REVNUM",
    "BIBLIOGRAPHY",
    "CITATION",
    "GOTOBUTTON",
}
_OUTSIDE = re.compile(
    r"^\s*(file:|\\\\|//|smb:|ftps?:|nfs:|dav:|webdav:|jar:|vnd\.sun\.star|macro:|javascript:|vbscript:)", re.I
)
_FORMULA_REACH = re.compile(r"INDIRECT|WEBSERVICE|FILTERXML|\bDDE|\bFILE:|\|", re.I)
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")
# ODF elements removed with everything inside them (local names; their namespaces differ by version).
_ODF_DROPPED = {
    "scripts",
    "event-listeners",
    "event-listener",
    "section-source",
    "table-source",
    "dde-source",
    "dde-connection-decls",
    "dde-links",
    "applet",
    "plugin",
    "floating-frame",
    "object-ole",
    "cell-range-source",
}


def clean(source: Path, target: Path, kind: str, filename: str) -> None:
    """Write `source` (an office zip of `kind`) to `target` without outside references; refuse bombs and DTDs."""
    try:
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            members = zin.infolist()
            if len(members) > MAX_ENTRIES:
                raise _bomb(filename)
            budget = [MAX_UNCOMPRESSED]
            for info in members:
                name = info.filename
                if name.endswith("/") or name.startswith(("Basic/", "Scripts/")):
                    continue
                data = _read(zin, info, budget, filename)
                if name.lower().endswith((".xml", ".rels", ".svg", ".vml")):
                    data = _clean_xml(name, data, kind, filename)
                method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED  # ODF: first and stored
                zout.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
        target.unlink(missing_ok=True)
        raise refuse(
            "damaged", Msg("Tệp “{filename}” bị hỏng, không đọc được ({exc}).", filename=filename, exc=exc)
        ) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _bomb(filename: str) -> Exception:
    return refuse(
        "too_large",
        Msg(
            "Tệp “{filename}” khi giải nén vượt quá {max_uncompressed} MB hoặc {max_entries} thành phần "
            "nên bị từ chối.",
            filename=filename,
            max_uncompressed=MAX_UNCOMPRESSED // (1024 * 1024),
            max_entries=MAX_ENTRIES,
        ),
        max_mb=MAX_UNCOMPRESSED // (1024 * 1024),
    )


def _read(zin: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], filename: str) -> bytes:
    """The member's bytes, counted against what is left of the decompressed budget as they come."""
    chunks = []
    with zin.open(info) as f:
        while chunk := f.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _bomb(filename)
            chunks.append(chunk)
    return b"".join(chunks)


def _clean_xml(name: str, data: bytes, kind: str, filename: str) -> bytes:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        if not data.strip() or name.lower().endswith(
            ".vml"
        ):  # legacy VML is often not well-formed: the sandbox is its wall
            return data
        return _unparsable(filename, name)
    if root.getroottree().docinfo.doctype:
        raise refuse(
            "damaged",
            Msg(
                "Tệp “{filename}” có phần {name} khai báo DTD, không phải tệp văn phòng hợp lệ.",
                filename=filename,
                name=name,
            ),
        )
    if name.endswith(".rels"):
        _clean_rels(root)
    elif name.lower().endswith(".svg"):
        _clean_svg(root)
    elif kind in ("odt", "ods", "odp"):
        _clean_odf(root)
    else:
        _unlink_fields(root)
        _clean_formulas(root)
    _drop_outside_attributes(root)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def _unparsable(filename: str, name: str) -> bytes:
    raise refuse(
        "damaged", Msg("Tệp “{filename}” có phần {name} không đọc được (XML hỏng).", filename=filename, name=name)
    )


def safe_link(url: str) -> bool:
    return bool(re.match(r"^\s*(https?://[^\s\\/]|mailto:[^\s\\]+@)", url, re.I))


def _clean_rels(root: etree._Element) -> None:
    for rel in list(root.iter(f"{{{_REL_NS}}}Relationship")):
        kind = rel.get("Type", "").rsplit("/", 1)[-1].lower()
        target = rel.get("Target", "")
        external = (
            rel.get("TargetMode", "").lower() == "external" or _SCHEME.match(target) or target.startswith(("//", "\\"))
        )
        if kind in _DROPPED_RELS or (external and not (kind == "hyperlink" and safe_link(target))):
            rel.getparent().remove(rel)


def _unlink_fields(root: etree._Element) -> None:
    """Word fields: a field whose code is not known harmless loses its code; its shown result stays as text."""
    for simple in list(root.iter(f"{_W}fldSimple")):
        if not _safe_field(simple.get(f"{_W}instr", "")):
            parent, at = simple.getparent(), simple.getparent().index(simple)
            parent[at : at + 1] = list(simple)
    stack: list[tuple[list[str], list[etree._Element]]] = []
    for el in list(root.iter(f"{_W}fldChar", f"{_W}instrText")):
        if el.tag == f"{_W}instrText":
            if stack:
                stack[-1][0].append(el.text or "")
                stack[-1][1].append(el)
            continue
        kind = el.get(f"{_W}fldCharType")
        if kind == "begin":
            stack.append(([], [el]))
        elif stack:
            stack[-1][1].append(el)
            if kind == "end":
                code, parts = stack.pop()
                if not _safe_field("".join(code)):
                    for part in parts:
                        part.getparent().remove(part)


def _safe_field(code: str) -> bool:
    words = code.split()
    if not words:
        return True
    first = words[0].upper()
    if first == "HYPERLINK":
        return len(words) > 1 and safe_link(words[1].strip('"')) and not _OUTSIDE.search(code)
    return first in _SAFE_FIELDS and not _OUTSIDE.search(code) and "://" not in code and "\\\\" not in code


def _clean_formulas(root: etree._Element) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in ("f", "definedName") and _FORMULA_REACH.search(el.text or ""):
            el.getparent().remove(el)  # a cell keeps its cached value <v>
        elif local in ("altChunk", "OLEObject", "control", "mailMerge"):
            el.getparent().remove(el)  # an OLE object keeps its preview picture (v:shape), not the object


def _clean_odf(root: etree._Element) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None and el is not root:
            continue
        if etree.QName(el).localname in _ODF_DROPPED:
            el.getparent().remove(el)
            continue
        href = el.get(_XLINK_HREF)
        if href is None:
            continue
        hyperlink = etree.QName(el).localname == "a"
        inside = not _SCHEME.match(href) and not href.startswith(("/", "\\", "..", "//"))
        if not inside and not (hyperlink and safe_link(href)):
            del el.attrib[_XLINK_HREF]


def _clean_svg(root: etree._Element) -> None:
    """An SVG picture may only refer to itself (#id) or carry its data (data:); styles may not import."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname == "style" and re.search(r"@import|url\(\s*['\"]?(?!#)", el.text or ""):
            el.getparent().remove(el)
            continue
        for key, value in list(el.attrib.items()):
            local = etree.QName(key).localname
            if (local == "href" and not value.strip().startswith(("#", "data:"))) or re.search(
                r"url\(\s*['\"]?(?!#)", value
            ):
                del el.attrib[key]


def _drop_outside_attributes(root: etree._Element) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for key, value in list(el.attrib.items()):
            if _OUTSIDE.match(value):
                del el.attrib[key]
