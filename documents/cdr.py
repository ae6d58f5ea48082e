"""Content disarm and reconstruction (CDR) of PDFs: every PDF the server keeps or sends carries no action other
than internal navigation and web/mail links.

`disarm` walks the whole object graph from the trailer (direct and indirect objects, arrays, stream
dictionaries; so annotations, form fields, outlines and their /Next chains, names trees, XFA, action /Next
chains are all reached wherever they hide) and removes, by allowlist:
- every action except GoTo to a destination in the file, Named NextPage/PrevPage/FirstPage/LastPage, and URI
  with an http(s) URL that names a host or a mailto: address. An allowed action is rebuilt with its
  required keys only (no /Next chain, no extra keys a viewer might read). Anything else that looks like an
  action (a /JS key, /Type /Action, an /S naming any action type in any letter case) goes, wherever it is;
- references to other files: a stream's external data (/F, /FFilter, /FDecodeParms), a form XObject's /Ref (a page
  imported from another PDF), OPI proxies (/OPI), and any file specification of the URL file system (/FS /URL);
- every additional-actions (/AA) dictionary (page open/close, field keystroke/format/validate/calculate, ...),
  names trees other than /Dests (JavaScript, EmbeddedFiles, AlternatePresentations, Renditions, ...), XFA,
  embedded and associated files (/EF, /AF, /Type /EmbeddedFile), portfolios (/Collection), the catalog's
  /URI base, PostScript XObjects, and annotations of the kinds that play or carry content (FileAttachment,
  Sound, Movie, Screen, RichMedia, 3D, Projection).
pikepdf decodes #xx escapes in names (/J#61vaScript is /JavaScript) before we see them. The caller saves
the file with qpdf, which writes only what is still reachable: that save is the reconstruction, and every
reader afterwards sees the same objects qpdf saw. `findings` is the same walk without changes: what a
disarmed file must not contain (empty on every output, checked before a PDF leaves the server).
Pages, text, images, fonts, forms' fields and their appearances, internal links and outlines stay.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pikepdf

from core.errors import Conflict

# Every action type of PDF 2.0 (and ECMAScript/RichMediaExecute), compared in lower case.
ACTION_TYPES = {
    "goto",
    "gotor",
    "gotoe",
    "gotodp",
    "launch",
    "thread",
    "uri",
    "sound",
    "movie",
    "hide",
    "named",
    "submitform",
    "resetform",
    "importdata",
    "javascript",
    "ecmascript",
    "setocgstate",
    "rendition",
    "trans",
    "goto3dview",
    "richmediaexecute",
}
ACTION_KEYS = {"/A", "/PA", "/OpenAction"}
NAVIGATION = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
WEB_SCHEMES = {"http", "https"}
# Dictionary keys removed wherever they appear (the catalog's /URI base and /Names are handled apart).
DROPPED_KEYS = {  # compared in lower case, as a lenient reader might
    "/aa": "AdditionalActions",
    "/js": "JavaScript",
    "/ef": "EmbeddedFile",
    "/af": "EmbeddedFile",
    "/xfa": "XFA",
    "/needsrendering": "XFA",
    "/collection": "Portfolio",
    "/richmediacontent": "RichMedia",
    "/3dd": "3D",
    "/opi": "OPI",  # an image's or form's proxy: the high-resolution original is fetched from a file spec
}
# Keys of a stream dictionary that put its data in another file (PDF 32000 7.3.8.2): a reader that follows them
# fetches a URL or opens a network share (UNC: the Windows user's hash goes with it).
EXTERNAL_STREAM_KEYS = ("/F", "/FFilter", "/FDecodeParms")
# Annotation / XObject / stream subtypes and types removed with the object that has them (lower case).
DROPPED_SUBTYPES = {"fileattachment", "sound", "movie", "screen", "richmedia", "3d", "u3d", "prc", "projection", "ps"}
DROPPED_TYPES = {"embeddedfile", "sound", "richmediacontent", "3d"}
# Whitespace and controls a browser drops from a URL before reading its scheme (so "java\tscript:" is javascript:).
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]")


class ActiveContent(Conflict):
    """A PDF still carries active content after disarming (never expected): refused, never sent."""

    def __init__(self, left: list[str]) -> None:
        super().__init__(
            "Không thể gửi tệp PDF này vì vẫn còn nội dung tự thực thi chưa gỡ được; hãy báo Văn phòng tải lên "
            "lại bản PDF thông thường.",
            details={"reason": "active_content", "found": left},
        )


def _lower(value: Any) -> str:
    return str(value)[1:].lower() if isinstance(value, pikepdf.Name) else ""


def safe_uri(raw: Any) -> str | None:
    """The URL to keep (normalised, ASCII) or None: http(s) with a host, or mailto."""
    try:
        text = bytes(raw).decode("utf-8") if isinstance(raw, pikepdf.String) else None
    except UnicodeDecodeError:
        return None
    if text is None:
        return None
    url = _URL_JUNK.sub("", text)
    if not url.isascii() or "\\" in url:  # a backslash turns into a UNC path in some readers
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in WEB_SCHEMES and parts.hostname:
        return url
    if scheme == "mailto" and "@" in parts.path:
        return url
    return None


def _allowed_action(d: pikepdf.Object) -> pikepdf.Dictionary | None:
    """The rebuilt action when `d` is an allowed one, else None."""
    kind = d.get("/S")
    if "/JS" in d or not isinstance(kind, pikepdf.Name):
        return None
    if kind == pikepdf.Name.GoTo and isinstance(d.get("/D"), (pikepdf.Name, pikepdf.String, pikepdf.Array)):
        return pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=d.D)
    if kind == pikepdf.Name.Named and str(d.get("/N")) in NAVIGATION:
        return pikepdf.Dictionary(S=pikepdf.Name.Named, N=d.N)
    if kind == pikepdf.Name.URI:
        url = safe_uri(d.get("/URI"))
        if url is not None:
            return pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(url))
    return None


def _is_action(d: pikepdf.Object) -> bool:
    return (
        any(k.lower() == "/js" for k in d.keys())
        or _lower(d.get("/Type")) == "action"
        or _lower(d.get("/S")) in ACTION_TYPES
    )


def _why(d: pikepdf.Object) -> str:
    kind = d.get("/S")
    return "JavaScript" if "/JS" in d else (str(kind)[1:] if isinstance(kind, pikepdf.Name) else "Action")


def _same(d: pikepdf.Object, rebuilt: pikepdf.Dictionary) -> bool:
    return set(d.keys()) == set(rebuilt.keys()) and ("/URI" not in d or bytes(d.URI) == bytes(rebuilt.URI))


def _verdict(d: pikepdf.Object) -> str | None:
    """Why the non-action dictionary (or stream) `d` must go as a whole, or None when it may stay."""
    subtype = _lower(d.get("/Subtype"))
    if subtype in DROPPED_SUBTYPES:
        return str(d.Subtype)[1:]
    if _lower(d.get("/Type")) in DROPPED_TYPES:
        return str(d.Type)[1:]
    if _lower(d.get("/FS")) == "url":
        return "ExternalFile"
    return None


class _Walk:
    def __init__(self, pdf: pikepdf.Pdf, fix: bool) -> None:
        self.pdf, self.fix = pdf, fix
        self.found: dict[str, int] = {}
        self.seen: set[tuple[int, int]] = set()

    def note(self, what: str) -> None:
        self.found[what] = self.found.get(what, 0) + 1

    def run(self) -> dict[str, int]:
        self._catalog(self.pdf.Root)
        stack: list[Any] = [self.pdf.trailer]
        while stack:
            obj = stack.pop()
            if obj.is_indirect:
                if obj.objgen in self.seen:
                    continue
                self.seen.add(obj.objgen)
            if isinstance(obj, pikepdf.Array):
                stack.extend(self._array(obj))
            elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                stack.extend(self._dict(obj))
        return self.found

    def _catalog(self, root: pikepdf.Object) -> None:
        """Catalog-only entries: the /URI base for relative links, and the names trees other than /Dests."""
        if "/URI" in root:
            self._drop(root, "/URI", "URIBase")
        names = root.get("/Names")
        if isinstance(names, pikepdf.Dictionary):
            for key in [k for k in names.keys() if k != "/Dests"]:
                self._drop(names, key, f"Names{key}"[:40])
        opening = root.get("/OpenAction")
        if opening is not None and not isinstance(opening, (pikepdf.Array, pikepdf.Dictionary)):
            self._drop(root, "/OpenAction", "OpenAction")

    def _drop(self, container: pikepdf.Object, key: Any, what: str) -> None:
        self.note(what)
        if self.fix:
            del container[key]

    def _child(self, container: pikepdf.Object, key: Any, value: Any) -> Any | None:
        """The child to walk into, or None when it was (or, in a check, would be) removed or rebuilt."""
        if isinstance(value, pikepdf.Array):
            return value
        if not isinstance(value, (pikepdf.Dictionary, pikepdf.Stream)):
            return None
        if key in ACTION_KEYS or _is_action(value):  # under /A, /PA, /OpenAction a dict is an action, /S or not
            rebuilt = _allowed_action(value)
            if key == "/OpenAction" and rebuilt is not None and rebuilt.S != pikepdf.Name.GoTo:
                rebuilt = None  # a URL opened by merely opening the file would tell a third party who read it, when
            if rebuilt is None:
                self._drop(container, key, _why(value))
                return None
            if not _same(value, rebuilt):
                self.note("ActionExtras")
                if self.fix:
                    container[key] = rebuilt
                return None  # the rebuilt action holds names, a string or a destination into pages walked anyway
            return value
        why = _verdict(value)
        if why is not None:
            self._drop(container, key, why)
            return None
        return value

    def _dict(self, d: pikepdf.Object) -> list[Any]:
        for key in [k for k in d.keys() if k.lower() in DROPPED_KEYS]:
            self._drop(d, key, DROPPED_KEYS[key.lower()])
        if isinstance(d, pikepdf.Stream):  # elsewhere /F is an annotation's flags or a file spec's name
            for key in [k for k in d.keys() if k in EXTERNAL_STREAM_KEYS]:
                self._drop(d, key, "ExternalStream")
            if "/Ref" in d and _lower(d.get("/Subtype")) == "form":
                self._drop(d, "/Ref", "ReferenceXObject")
        out = []
        for key in list(d.keys()):
            child = self._child(d, key, d[key])
            if child is not None:
                out.append(child)
        return out

    def _array(self, a: pikepdf.Array) -> list[Any]:
        out = []
        for i in reversed(range(len(a))):  # from the end: removing an element keeps the earlier indexes
            child = self._child(a, i, a[i])
            if child is not None:
                out.append(child)
        return out


def disarm(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Remove all active content from the open `pdf` in place; answer what was removed (kind -> count).
    Save the file afterwards (qpdf writes only what is still reachable)."""
    return _Walk(pdf, fix=True).run()


def findings(pdf: pikepdf.Pdf) -> dict[str, int]:
    """What `disarm` would remove: empty for a clean file."""
    return _Walk(pdf, fix=False).run()


def save(pdf: pikepdf.Pdf, target: Any) -> None:
    """The reconstruction: qpdf writes only the reachable objects, streams re-encoded as they were; the same
    input gives the same bytes (deterministic /ID), so one upload twice is one blob."""
    pdf.save(target, deterministic_id=True)


def check_clean(pdf: pikepdf.Pdf) -> None:
    """Before a PDF leaves the server: disarm it again (a file stored before CDR existed) and make sure."""
    disarm(pdf)
    left = findings(pdf)
    if left:
        raise ActiveContent(sorted(left))
