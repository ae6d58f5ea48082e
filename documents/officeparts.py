"""Which members of an office package may reach LibreOffice, decided by what the package declares
([Content_Types].xml for OOXML, META-INF/manifest.xml for ODF) and by what the bytes are, never by the
member's name alone: LibreOffice finds parts through relationships and sniffs pictures by content, so a main
document named document.bin, an SVG named image.png or a macro project named anything would otherwise pass.

Every member that is kept is either XML (parsed and cleaned by documents/officeclean.py, whatever its name) or
a picture whose first bytes are those of a raster or metafile format. Everything else is dropped and counted
under a label the upload's answer shows (`removed_content`, as for PDFs): macros, ActiveX, OLE objects,
external links and data connections, alternative-format chunks (HTML, RTF, MHT), embedded fonts, media, and
parts of no known type or whose bytes are not what they claim (MismatchedPart). A few parts nothing renders
are dropped silently (printer settings, signatures, ODF toolbar configuration).
"""

from __future__ import annotations

import re
from typing import Literal

Action = Literal["xml", "image", "svg", "keep", "drop"]

OOXML_MAIN = {  # a macro-enabled main part is declared as the plain one once its macros are gone
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_MACRO_MAIN = re.compile(r"^application/vnd\.ms-(word|excel|powerpoint)\.[a-z.]*macroenabled[a-z.]*\.main\+xml$")
# (pattern on the declared content type, label; "" = dropped without a word). First match wins.
_DROPPED_TYPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.I), label)
    for p, label in (
        (r"vbaproject|vbadata|macrosheet|keymapcustomizations|attachedtoolbars|customui|macroenabled", "Macro"),
        (r"activex|controlproperties|ctrlprop", "ActiveX"),
        (r"oleobject|\.package$|opendocument\.[a-z]+$|officedocument\.[a-z]+ml\.[a-z]+$|msword|ms-excel$", "OLEObject"),
        (r"externallink|connections\+xml|querytable", "ExternalLink"),
        (r"html|mhtml|message/rfc822|rtf|^text/plain", "AltChunk"),
        (r"^font/|^application/(x-font|font-|vnd\.ms-fontobject)|obfuscatedfont", "EmbeddedFont"),
        (r"^(audio|video)/", "Media"),
        (r"printersettings|digital-signature|ms-photo|thumbnail", ""),
    )
]
_IMAGE_TYPES = re.compile(r"^image/(png|jpe?g|gif|bmp|x-bmp|tiff|x-emf|emf|x-wmf|wmf|x-pict|pict)$", re.I)
_XML_TYPES = re.compile(
    r"^(application|text)/xml$|^application/vnd\.(openxmlformats-|ms-office\.|ms-word\.|ms-excel\.|ms-powerpoint\.)"
    r"[a-z0-9.+-]*\+xml$|^application/vnd\.openxmlformats-officedocument\.vmldrawing$|^application/rdf\+xml$",
    re.I,
)
_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\xd7\xcd\xc6\x9a",  # placeable WMF
    b"\x01\x00\x09\x00",  # WMF
    b"\x02\x00\x09\x00",
    b"VCLMTF",  # LibreOffice's own metafile (ODF object replacements)
)


def macro_main(ctype: str) -> bool:
    return bool(_MACRO_MAIN.match(ctype.strip().lower()))


def xml_bytes(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def raster(data: bytes) -> bool:
    """Whether `data` starts as a picture format LibreOffice draws (never SVG, HTML or a script)."""
    emf = len(data) > 44 and data[:4] == b"\x01\x00\x00\x00" and data[40:44] == b" EMF"
    return emf or data.startswith(_MAGIC)


def ooxml(declared: str | None, name: str, data: bytes) -> tuple[Action, str]:
    """What to do with an OOXML member of content type `declared` (None: the package declares none)."""
    if name.lower().endswith(".rels") or name == "[Content_Types].xml":
        return "xml", ""
    if declared is None:
        return "drop", "UnknownPart"
    ctype = declared.strip().lower()
    if _MACRO_MAIN.match(ctype):
        return "xml", "Macro"  # the main part itself: kept, declared plain (its macros are separate parts)
    for pattern, label in _DROPPED_TYPES:
        if pattern.search(ctype):
            return "drop", label
    if "/embeddings/" in f"/{name.lower()}":
        return "drop", "OLEObject"
    if ctype == "image/svg+xml":
        return ("svg", "") if xml_bytes(data) else ("drop", "MismatchedPart")
    if _IMAGE_TYPES.match(ctype):
        return ("image", "") if raster(data) else ("drop", "MismatchedPart")
    if _XML_TYPES.match(ctype):
        return "xml", ""  # a part that is not well-formed XML is refused by the cleaner
    return "drop", "UnknownPart"


def odf(declared: str | None, name: str, data: bytes) -> tuple[Action, str]:
    """What to do with an ODF member (`declared`: its manifest media type, if any)."""
    low = name.lower()
    ctype = (declared or "").strip().lower()
    if name == "mimetype":
        return "keep", ""
    if low.startswith(("basic/", "scripts/", "dialogs/")) or "/basic/" in low or "/scripts/" in low:
        return "drop", "Macro"
    if low.startswith("configurations2/"):
        return "drop", ""
    if low.startswith("meta-inf/"):
        return ("xml", "") if low == "meta-inf/manifest.xml" else ("drop", "")
    if "oleobject" in ctype or "ole-object" in ctype:
        return "drop", "OLEObject"
    if xml_bytes(data) and (low.endswith((".xml", ".rdf", ".svg")) or "xml" in ctype or not ctype):
        return ("svg", "") if low.endswith(".svg") or ctype == "image/svg+xml" else ("xml", "")
    picture = ctype.startswith("image/") or re.search(r"(^|/)(pictures|thumbnails|objectreplacements)/", low)
    if raster(data) and picture:
        return "image", ""
    if ctype.startswith("image/") or low.startswith(("pictures/", "thumbnails/")):
        return "drop", "MismatchedPart"
    for pattern, label in _DROPPED_TYPES:
        if ctype and pattern.search(ctype):
            return "drop", label or "UnknownPart"
    return "drop", "UnknownPart"
