"""A checker for "no active content" written apart from documents/cdr.py, on purpose by another method: a
denylist of every name that can only belong to active content, looked for as a key or a value in EVERY
object of the file (reachable or not, via pdf.objects), checks of every /URI, /S and /OpenAction, and a raw
scan of the fully decompressed bytes for the corpus canary and for script-like text."""

from __future__ import annotations

import io
import re
from typing import Any

import pikepdf

from tests.cdr_corpus import CANARY

# Lower case. None of these has a harmless use in a PDF (transitions use /Trans as a page key, so /S values
# are checked apart below, and /Trans is not here).
FORBIDDEN_NAMES = {
    "/js",
    "/javascript",
    "/ecmascript",
    "/aa",
    "/launch",
    "/submitform",
    "/importdata",
    "/resetform",
    "/gotor",
    "/gotoe",
    "/gotodp",
    "/embeddedfile",
    "/embeddedfiles",
    "/ef",
    "/af",
    "/xfa",
    "/richmedia",
    "/richmediacontent",
    "/richmediaexecute",
    "/3d",
    "/3dd",
    "/u3d",
    "/sound",
    "/movie",
    "/rendition",
    "/fileattachment",
    "/screen",
    "/hide",
    "/setocgstate",
    "/goto3dview",
    "/collection",
    "/needsrendering",
    "/ps",
    "/alternatepresentations",
}
ALLOWED_S_ACTIONS = {"/goto", "/uri", "/named"}
ACTION_S = {"/thread", "/trans", "/movie", "/sound"} | {n for n in FORBIDDEN_NAMES} | ALLOWED_S_ACTIONS
GOOD_URI = re.compile(r"^(https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s\\]*)?|mailto:[^\s\\]+@[^\s\\]+)$")
SCRIPTY = re.compile(rb"javascript|app\.alert|launchURL|calc\.exe|file:/|\\\\\\\\", re.IGNORECASE)


def problems(data: bytes) -> list[str]:
    """Everything active found in the PDF `data` (empty when clean)."""
    found: list[str] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if pdf.is_encrypted:
            found.append("encrypted")
        for obj in pdf.objects:
            _scan(obj, found, depth=0)
        opening = pdf.Root.get("/OpenAction")
        if isinstance(opening, pikepdf.Dictionary) and opening.get("/S") != pikepdf.Name.GoTo:
            found.append("OpenAction is not a GoTo")
        if "/URI" in pdf.Root:
            found.append("catalog /URI")
        names = pdf.Root.get("/Names")
        if isinstance(names, pikepdf.Dictionary) and set(names.keys()) - {"/Dests"}:
            found.append(f"names trees {sorted(names.keys())}")
        out = io.BytesIO()
        pdf.save(
            out,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.all,
        )
    plain = out.getvalue()
    if CANARY.encode() in plain:
        found.append("canary in the decompressed bytes")
    found.extend(f"raw text {m.group(0)!r}" for m in SCRIPTY.finditer(plain))
    return found


def _scan(obj: Any, found: list[str], depth: int) -> None:
    if depth > 60:
        return
    if isinstance(obj, pikepdf.Name):
        if str(obj).lower() in FORBIDDEN_NAMES:
            found.append(f"name {obj}")
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            if _direct(item):
                _scan(item, found, depth + 1)
    elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        for key in obj.keys():
            if key.lower() in FORBIDDEN_NAMES:
                found.append(f"key {key}")
            value = obj[key]
            if key == "/S" and isinstance(value, pikepdf.Name) and str(value).lower() in ACTION_S - ALLOWED_S_ACTIONS:
                found.append(f"action {value}")
            if key == "/URI" and isinstance(value, pikepdf.String) and not GOOD_URI.match(str(value)):
                found.append(f"URI {str(value)!r}")
            if (
                key == "/N"
                and obj.get("/S") == pikepdf.Name.Named
                and str(value) not in {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
            ):
                found.append(f"named action {value}")
            if _direct(value):
                _scan(value, found, depth + 1)


def _direct(value: Any) -> bool:
    """Indirect objects are scanned once each from pdf.objects; names are never indirect."""
    return isinstance(value, pikepdf.Object) and not value.is_indirect


def uris(data: bytes) -> set[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/A" in a and "/URI" in a.A}


def internal_links(data: bytes) -> list[int]:
    """The page numbers (1-based) that page 1's GoTo links and the outline entries lead to."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        index = {p.obj.objgen: n for n, p in enumerate(pdf.pages, start=1)}
        targets = []
        for a in pdf.pages[0].obj.get("/Annots", []):
            if "/A" in a and a.A.get("/S") == pikepdf.Name.GoTo:
                targets.append(index[a.A.D[0].objgen])
        item: pikepdf.Object | None = pdf.Root.Outlines.First
        while item is not None:
            dest = item.get("/Dest") if "/Dest" in item else item.A.D if "/A" in item else None
            if dest is not None:
                targets.append(index[dest[0].objgen])
            item = item.get("/Next")
        return targets
