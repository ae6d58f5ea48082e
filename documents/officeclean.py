"""Office files (DOCX/XLSX/PPTX, ODT/ODS/ODP) rewritten with only what a document needs, before LibreOffice
sees them: it would run a macro, fetch an external image over the network, or embed a local server file
(file:///...) into the PDF we serve. The second wall is documents/sandbox.py (no network, no files); the third,
LibreOffice's own profile (documents/convert.py: macros off, links never updated).

Parts: which members stay is decided by the type the package declares for them ([Content_Types].xml,
META-INF/manifest.xml) and by their bytes, not by their names (documents/officeparts.py): XML parts are parsed
and cleaned whatever they are called (the root element also decides: an SVG is cleaned as one), pictures must
start as a picture does, and VBA projects, macro sheets, ActiveX, OLE objects, external links and data
connections, HTML/RTF/MHT chunks, embedded fonts, media and parts of no known type are dropped; so are ODF
Basic/, Scripts/ and Dialogs/ (any case). A macro-enabled main part is declared as the plain one. The index
files are rewritten to match, and relationships to dropped parts go with them.

Inside XML (documents/officexml.py): OOXML relationships with TargetMode="External" (except http(s)/mailto
hyperlinks, which nothing fetches during conversion) and relationships to OLE objects, ActiveX, macros,
templates, alternative-format chunks and external workbooks; Word fields other than known harmless ones
(INCLUDETEXT, INCLUDEPICTURE, LINK, DDE, DATABASE, IMPORT, ... are unlinked: their last shown result stays as
plain text); spreadsheet formulas that can open a file or URL (INDIRECT, WEBSERVICE, DDE, file: references; the
cached value stays). ODF: every xlink:href that leaves the package (except http(s)/mailto hyperlinks), linked
sections and tables, DDE, scripts and event listeners, applets, plug-ins, floating frames, OLE objects. SVG
pictures: scripts, foreignObject, on* handlers, references other than #id and data:image, CSS imports and
url(...) to outside. Word mail merge settings (data source connection). Any attribute whose value is a file:,
UNC, SMB, FTP or LibreOffice macro URL is dropped wherever it is. Legacy VML that is not well-formed XML is
read by a recovering parser and cleaned like the rest. `clean` answers what it removed (label -> count),
which the upload's answer reports as `removed_content`, as for PDFs.

Limits: at most MAX_ENTRIES members and MAX_UNCOMPRESSED bytes once decompressed (counted while reading,
not trusted from the headers): a zip bomb is refused. XML is parsed by lxml without entity expansion, DTD
loading or network, and a part with a DOCTYPE is refused (office formats never have one): no billion laughs,
no external entities. Duplicate part names (case-insensitive), names leaving the package, password-protected
members and encrypted ODF packages are refused.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from lxml import etree

from core.i18n import Msg
from documents import officeparts, officexml
from documents.pdfcheck import refuse

MAX_ENTRIES = 10_000
MAX_UNCOMPRESSED = 512 * 1024 * 1024
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False
)
# Legacy VML (Excel comments, form shapes) is often not well-formed: read as well as it goes, then cleaned.
_RECOVER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True)
ODF = ("odt", "ods", "odp")


def clean(source: Path, target: Path, kind: str, filename: str) -> dict[str, int]:
    """Write `source` (an office zip of `kind`) to `target` with only the parts a document needs, cleaned of
    outside references (documents/officeparts.py decides which); refuse bombs, DTDs and encrypted packages.
    Answers what was removed (label -> count), as documents/cdr.py does for PDFs."""
    found: Counter[str] = Counter()
    try:
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            members = [i for i in zin.infolist() if not i.filename.endswith("/")]
            if len(members) > MAX_ENTRIES:
                raise _bomb(filename)
            _check_names(members, filename)
            budget = [MAX_UNCOMPRESSED]
            declared = _declared(zin, kind, budget, filename)
            actions: dict[str, officeparts.Action] = {}
            for info in members:  # first decide every part (its first bytes suffice), then clean what stays
                head = _read(zin, info, budget, filename, keep=4096)  # a bomb is refused even in a dropped part
                action, label = _decide(kind, declared, info.filename, head)
                # A DTD is refused in any part named as XML, even one that would be dropped (an HTML chunk may
                # have its <!DOCTYPE html>: it is dropped, never parsed).
                xml_named = info.filename.lower().endswith((".xml", ".rels"))
                if (action != "drop" or xml_named) and officeparts.xml_bytes(head) and b"<!doctype" in head.lower():
                    raise _dtd(filename, info.filename)
                actions[info.filename] = action
                if label:
                    found[label] += 1
            if kind not in ODF and "[Content_Types].xml" not in actions:
                raise refuse(
                    "damaged",
                    Msg(
                        "Tệp “{filename}” thiếu phần [Content_Types].xml, không phải tệp {kind} hợp lệ.",
                        filename=filename,
                        kind=kind.upper(),
                    ),
                )
            dropped = {name.lower() for name, action in actions.items() if action == "drop"}
            for info in members:
                name, action = info.filename, actions[info.filename]
                if action == "drop":
                    continue
                data = _read(zin, info, [MAX_UNCOMPRESSED], filename)  # counted in the first pass
                if action in ("xml", "svg"):
                    data = _clean_xml(name, data, kind, filename, found, svg=action == "svg", dropped=dropped)
                method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED  # ODF: first and stored
                zout.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        target.unlink(missing_ok=True)  # RuntimeError: a member encrypted with a zip password
        raise refuse(
            "damaged", Msg("Tệp “{filename}” bị hỏng, không đọc được ({exc}).", filename=filename, exc=exc)
        ) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return {label: n for label, n in found.items() if n}


def _check_names(members: list[zipfile.ZipInfo], filename: str) -> None:
    """Part names are case-insensitive (OPC): two members with one name, or a name leaving the package, would let
    the cleaner and LibreOffice read different parts."""
    seen: set[str] = set()
    for info in members:
        low = info.filename.lower()
        if low in seen or low.startswith(("/", "\\")) or ".." in low.split("/") or "\\" in low or "\x00" in low:
            raise refuse(
                "damaged",
                Msg(
                    "Tệp “{filename}” có thành phần trùng tên hoặc tên không hợp lệ ({name}), không phải tệp văn phòng "
                    "hợp lệ.",
                    filename=filename,
                    name=info.filename[:100],
                ),
            )
        seen.add(low)


def _declared(zin: zipfile.ZipFile, kind: str, budget: list[int], filename: str) -> dict[str, str]:
    """The package's own index: OOXML "/part" and ".ext" -> content type; ODF "path" -> media type."""
    out: dict[str, str] = {}
    odf = kind in ODF
    index = "META-INF/manifest.xml" if odf else "[Content_Types].xml"
    try:
        info = zin.getinfo(index)
    except KeyError:
        return out  # ODF without a manifest: LibreOffice refuses it; OOXML: every part is then unknown
    root = _parse(index, _read(zin, info, budget, filename), filename)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local, attrs = etree.QName(el).localname, {etree.QName(k).localname: v for k, v in el.attrib.items()}
        if odf and local == "encryption-data":
            raise refuse(
                "encrypted",
                Msg(
                    "Tệp “{filename}” được đặt mật khẩu nên không kiểm tra được nội dung; hãy bỏ mật khẩu rồi tải lên.",
                    filename=filename,
                ),
            )
        if odf and local == "file-entry":
            out[attrs.get("full-path", "")] = attrs.get("media-type", "")
        elif local == "Default":
            out["." + attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")
        elif local == "Override":
            out[attrs.get("PartName", "").lower()] = attrs.get("ContentType", "")
    return out


def _decide(kind: str, declared: dict[str, str], name: str, head: bytes) -> tuple[officeparts.Action, str]:
    if kind in ODF:
        return officeparts.odf(declared.get(name), name, head)
    last = name.rsplit("/", 1)[-1]
    ext = "." + last.rsplit(".", 1)[-1].lower() if "." in last else None
    ctype = declared.get("/" + name.lower()) or (declared.get(ext) if ext else None)
    return officeparts.ooxml(ctype, name, head)


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


def _read(
    zin: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], filename: str, keep: int | None = None
) -> bytes:
    """The member's bytes (only the first `keep` of them, if given), all counted against what is left of the
    decompressed budget as they come."""
    chunks, kept = [], 0
    with zin.open(info) as f:
        while chunk := f.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _bomb(filename)
            if keep is None or kept < keep:
                chunks.append(chunk if keep is None else chunk[: keep - kept])
                kept += len(chunks[-1])
    return b"".join(chunks)


def _parse(name: str, data: bytes, filename: str, *, recover: bool = False) -> etree._Element:
    try:
        root = etree.fromstring(data, _RECOVER if recover else _PARSER)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise refuse(
            "damaged",
            Msg("Tệp “{filename}” có phần {name} không đọc được (XML hỏng).", filename=filename, name=name[:100]),
        )
    if root.getroottree().docinfo.doctype:
        raise _dtd(filename, name)
    return root


def _dtd(filename: str, name: str) -> Exception:
    return refuse(
        "damaged",
        Msg(
            "Tệp “{filename}” có phần {name} khai báo DTD, không phải tệp văn phòng hợp lệ.",
            filename=filename,
            name=name[:100],
        ),
    )


def _clean_xml(
    name: str, data: bytes, kind: str, filename: str, found: Counter[str], *, svg: bool, dropped: set[str]
) -> bytes:
    if not data.strip():
        return data
    vml = name.lower().endswith(".vml") or "/vmldrawing" in name.lower()
    root = _parse(name, data, filename, recover=vml)
    if name.lower().endswith(".rels"):
        officexml.clean_rels(root, name, dropped, found)
    elif svg or root.tag == "{http://www.w3.org/2000/svg}svg":  # an SVG whatever its name or declared type
        officexml.clean_svg(root, found)
    elif name == "[Content_Types].xml":
        _retype(root, kind, dropped)
    elif name == "META-INF/manifest.xml":
        _unlist(root, dropped)
    elif kind in ODF:
        officexml.clean_odf(root, found)
    else:
        officexml.unlink_fields(root, found)
        officexml.clean_formulas(root, found)
    officexml.drop_outside_attributes(root, found)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def _retype(root: etree._Element, kind: str, dropped: set[str]) -> None:
    """[Content_Types].xml: no entry for a dropped part; a macro-enabled main part declared as the plain one."""
    for el in list(root):
        if not isinstance(el.tag, str) or etree.QName(el).localname != "Override":
            continue
        part = el.get("PartName", "").lstrip("/").lower()
        if part in dropped:
            root.remove(el)
        elif officeparts.macro_main(el.get("ContentType", "")) and kind in officeparts.OOXML_MAIN:
            el.set("ContentType", officeparts.OOXML_MAIN[kind])


def _unlist(root: etree._Element, dropped: set[str]) -> None:
    """META-INF/manifest.xml: LibreOffice calls a package whose manifest lists a missing file damaged."""
    for el in list(root):
        if not isinstance(el.tag, str) or etree.QName(el).localname != "file-entry":
            continue
        attrs = {etree.QName(k).localname: v for k, v in el.attrib.items()}
        path, media = attrs.get("full-path", "").lower(), attrs.get("media-type", "")
        folder = path.endswith("/") and path != "/" and "opendocument" not in media  # Basic/, Configurations2/
        if path in dropped or (folder and any(d.startswith(path) for d in dropped)):
            root.remove(el)
