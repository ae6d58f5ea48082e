"""The XML cleaners of documents/officeclean.py: each takes a parsed part, removes in place what reaches outside
the package or runs code, and counts it in `found` (label -> count, shown to the uploader as `removed_content`).
What they remove is listed in documents/officeclean.py.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter

from lxml import etree

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
_ODF_DROPPED = {  # -> the label it is counted under
    "scripts": "Macro",
    "event-listeners": "Macro",
    "event-listener": "Macro",
    "section-source": "ExternalLink",
    "table-source": "ExternalLink",
    "dde-source": "DDE",
    "dde-connection-decls": "DDE",
    "dde-links": "DDE",
    "applet": "OLEObject",
    "plugin": "OLEObject",
    "floating-frame": "OLEObject",
    "object-ole": "OLEObject",
    "cell-range-source": "ExternalLink",
}
# External relationships (by type) counted under a label other than ExternalLink.
_REL_LABELS = {"oleobject": "OLEObject", "package": "OLEObject", "afchunk": "AltChunk", "vbaproject": "Macro"}


def safe_link(url: str) -> bool:
    return bool(re.match(r"^\s*(https?://[^\s\\/]|mailto:[^\s\\]+@)", url, re.I))


def clean_rels(root: etree._Element, name: str, dropped: set[str], found: Counter[str]) -> None:
    """Relationships of the part `name` (its .rels file's name): external ones (but web hyperlinks), those of
    code or foreign content, and those to parts the cleaner dropped (`dropped`, lower case)."""
    base = posixpath.dirname(posixpath.dirname(name))  # word/_rels/document.xml.rels -> word
    for rel in list(root.iter(f"{{{_REL_NS}}}Relationship")):
        kind = rel.get("Type", "").rsplit("/", 1)[-1].lower()
        target = rel.get("Target", "")
        external = (
            rel.get("TargetMode", "").lower() == "external" or _SCHEME.match(target) or target.startswith(("//", "\\"))
        )
        if external and not (kind == "hyperlink" and safe_link(target)):
            found[_REL_LABELS.get(kind, "ExternalLink")] += 1  # a part dropped was counted as a part
            rel.getparent().remove(rel)
        elif kind in _DROPPED_RELS or (not external and _resolve(base, target) in dropped):
            rel.getparent().remove(rel)


def _resolve(base: str, target: str) -> str:
    path = target.split("#", 1)[0]
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
    return posixpath.normpath(joined).lower()


def unlink_fields(root: etree._Element, found: Counter[str]) -> None:
    """Word fields: a field whose code is not known harmless loses its code; its shown result stays as text."""
    for simple in list(root.iter(f"{_W}fldSimple")):
        if not _safe_field(simple.get(f"{_W}instr", "")):
            found[_field_label(simple.get(f"{_W}instr", ""))] += 1
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
                    found[_field_label("".join(code))] += 1
                    for part in parts:
                        part.getparent().remove(part)


def _field_label(code: str) -> str:
    return "DDE" if code.split()[:1] and code.split()[0].upper().startswith("DDE") else "LinkedField"


def _safe_field(code: str) -> bool:
    words = code.split()
    if not words:
        return True
    first = words[0].upper()
    if first == "HYPERLINK":
        return len(words) > 1 and safe_link(words[1].strip('"')) and not _OUTSIDE.search(code)
    return first in _SAFE_FIELDS and not _OUTSIDE.search(code) and "://" not in code and "\\\\" not in code


def clean_formulas(root: etree._Element, found: Counter[str]) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in ("f", "definedName") and _FORMULA_REACH.search(el.text or ""):
            found["DDE" if "|" in (el.text or "") or "DDE" in (el.text or "").upper() else "ExternalLink"] += 1
            el.getparent().remove(el)  # a cell keeps its cached value <v>
        elif local in ("altChunk", "OLEObject", "control", "mailMerge"):
            if local == "mailMerge":  # the others were counted as the parts they name
                found["MailMerge"] += 1
            el.getparent().remove(el)  # an OLE object keeps its preview picture (v:shape), not the object


def clean_odf(root: etree._Element, found: Counter[str]) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getroottree().getroot() is not root:
            continue  # inside an element removed already
        if etree.QName(el).localname in _ODF_DROPPED:
            if len(el) or el.attrib:  # LibreOffice writes an empty <office:scripts/> into every file
                found[_ODF_DROPPED[etree.QName(el).localname]] += 1
            el.getparent().remove(el)
            continue
        href = el.get(_XLINK_HREF)
        if href is None:
            continue
        hyperlink = etree.QName(el).localname == "a"
        inside = not _SCHEME.match(href) and not href.startswith(("/", "\\", "..", "//"))
        if not inside and not (hyperlink and safe_link(href)):
            found["Macro" if "script" in href.lower() else "ExternalLink"] += 1
            del el.attrib[_XLINK_HREF]


def clean_svg(root: etree._Element, found: Counter[str]) -> None:
    """An SVG picture may only refer to itself (#id) or carry its data (data:); styles may not import."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname in ("script", "foreignObject", "handler"):
            found["JavaScript"] += 1
            el.getparent().remove(el)
            continue
        if etree.QName(el).localname == "style" and re.search(r"@import|url\(\s*['\"]?(?!#)", el.text or ""):
            found["ExternalLink"] += 1
            el.getparent().remove(el)
            continue
        for key, value in list(el.attrib.items()):
            local = etree.QName(key).localname
            if local.lower().startswith("on"):
                found["JavaScript"] += 1
                del el.attrib[key]
            elif (local == "href" and not re.match(r"\s*(#|data:image/(png|jpe?g|gif);)", value)) or re.search(
                r"url\(\s*['\"]?(?!#)", value
            ):
                found["ExternalLink"] += 1
                del el.attrib[key]


def drop_outside_attributes(root: etree._Element, found: Counter[str]) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for key, value in list(el.attrib.items()):
            if _OUTSIDE.match(value):
                found[
                    "Macro" if re.match(r"\s*(vnd\.sun\.star|macro:|\w+script:)", value, re.I) else "ExternalLink"
                ] += 1
                del el.attrib[key]
