"""The author's annotated copy: their own notes burned onto the (viewer-watermarked) document PDF.

One reportlab overlay page per annotated page, stamped with pikepdf. Coordinates are page-relative to the
page as displayed (top-left origin, after /Rotate), mapped back to PDF user space here. Ink keeps its
pressure (each segment's width scales with it); highlights are translucent; a note is a coloured marker at
its place with its text in a box beside it. `annotated_pdf` runs in an export worker, under its memory cap
(documents/exports.py), never in the server process: it reads the whole stored file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable

import pikepdf

from documents import cdr
from documents.watermark import FONT_PATH, Viewer
from documents.watermark_pdf import stamp_pdf

_FONT = "ECabinetNoteSans"
_registered: set[str] = set()
Mapper = Callable[[float, float], tuple[float, float]]


def _mapper(x0: float, y0: float, w: float, h: float, rotate: int) -> tuple[Mapper, float]:
    """(u, v) page-relative as displayed -> PDF user space; and the displayed width in points."""
    r = rotate % 360
    if r == 90:
        return (lambda u, v: (x0 + v * w, y0 + u * h)), h
    if r == 180:
        return (lambda u, v: (x0 + (1 - u) * w, y0 + v * h)), w
    if r == 270:
        return (lambda u, v: (x0 + (1 - v) * w, y0 + (1 - u) * h)), h
    return (lambda u, v: (x0 + u * w, y0 + (1 - v) * h)), w


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255


def _overlay(annotations: list[dict[str, Any]], box: tuple[float, float, float, float], rotate: int) -> bytes:
    from reportlab.lib.colors import Color
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if _FONT not in _registered:
        pdfmetrics.registerFont(TTFont(_FONT, str(FONT_PATH)))
        _registered.add(_FONT)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    to_pdf, shown_width = _mapper(0.0, 0.0, w, h, rotate)  # the overlay page is fitted onto the box
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(w, h))
    c.setLineCap(1)
    c.setLineJoin(1)
    for a in annotations:
        if a["kind"] == "note":
            _note(c, a, to_pdf, shown_width, Color)
            continue
        alpha = 0.38 if a["kind"] == "highlight" else 1.0
        for stroke in a["data"]["strokes"]:
            r, g, b = _rgb(stroke["color"])
            c.setStrokeColor(Color(r, g, b, alpha=alpha))
            c.setFillColor(Color(r, g, b, alpha=alpha))
            base = stroke["width"] * shown_width
            points = stroke["points"]
            if len(points) == 1:
                x, y = to_pdf(points[0][0], points[0][1])
                c.circle(x, y, base / 2, stroke=0, fill=1)
                continue
            if a["kind"] == "highlight":  # one path: overlapping segments would darken the translucent colour
                c.setLineWidth(base)
                path = c.beginPath()
                path.moveTo(*to_pdf(points[0][0], points[0][1]))
                for p in points[1:]:
                    path.lineTo(*to_pdf(p[0], p[1]))
                c.drawPath(path, stroke=1, fill=0)
                continue
            for p, q in zip(points, points[1:]):
                pressure = q[2] if len(q) > 2 else 0.5
                c.setLineWidth(max(0.3, base * (0.5 + pressure)))
                c.line(*to_pdf(p[0], p[1]), *to_pdf(q[0], q[1]))
    c.showPage()
    c.save()
    return out.getvalue()


def _note(c: Any, a: dict[str, Any], to_pdf: Mapper, shown_width: float, Color: Any) -> None:
    from reportlab.lib.utils import simpleSplit

    x, y = to_pdf(a["data"]["x"], a["data"]["y"])
    r, g, b = _rgb(a["data"].get("color", "#ffeb3b"))
    size = max(9.0, shown_width * 0.014)
    box_w = shown_width * 0.34
    lines: list[str] = []
    for para in a["text"].splitlines() or [""]:
        lines.extend(simpleSplit(para, _FONT, size, box_w - 8) or [""])
    lines = lines[:30]
    box_h = len(lines) * size * 1.25 + 8
    c.setFillColor(Color(r, g, b, alpha=1))
    c.setStrokeColor(Color(0.35, 0.3, 0.1))
    c.setLineWidth(0.8)
    c.circle(x, y, size * 0.6, stroke=1, fill=1)
    bx, by = x + size, y - box_h
    c.setFillColor(Color(r, g, b, alpha=0.92))
    c.roundRect(bx, by, box_w, box_h, 3, stroke=1, fill=1)
    c.setFillColor(Color(0.1, 0.1, 0.1))
    c.setFont(_FONT, size)
    for i, line in enumerate(lines):
        c.drawString(bx + 4, y - 4 - size - i * size * 1.25 + size * 0.2, line)


def annotated_pdf(source: Path, viewer: Viewer, annotations: list[dict[str, Any]]) -> bytes:
    """The watermarked copy (documents.watermark_pdf.stamp_pdf) with the annotations drawn on their pages."""
    by_page: dict[int, list[dict[str, Any]]] = {}
    for a in annotations:
        by_page.setdefault(a["page"], []).append(a)
    stamped = stamp_pdf(source, viewer)
    overlays: list[pikepdf.Pdf] = []
    with pikepdf.open(io.BytesIO(stamped)) as pdf:
        for n, page in enumerate(pdf.pages, start=1):
            if n not in by_page:
                continue
            box = tuple(float(v) for v in page.mediabox)
            rotate = int(page.obj.get("/Rotate", 0))
            layer = pikepdf.open(io.BytesIO(_overlay(by_page[n], box, rotate)))  # type: ignore[arg-type]
            overlays.append(layer)
            page.add_overlay(layer.pages[0], pikepdf.Rectangle(*box))
        pdf.docinfo["/Title"] = f"Bản có ghi chú của {viewer.name}"
        cdr.check_clean(pdf)  # the last look before it leaves the server, as for every PDF sent
        out = io.BytesIO()
        pdf.save(out)
    for layer in overlays:
        layer.close()
    return out.getvalue()
