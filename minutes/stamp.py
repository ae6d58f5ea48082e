"""The visible signature in the THƯ KÝ / CHỦ TỌA block: "Đã ký số", the signer's name and title and the signing
time on the organisation's clock, drawn inside the empty signature field minutes/pdf.py placed in that block.

The appearance is a small PDF page drawn with reportlab in the embedded Vietnamese serif (pyHanko's own text
stamps only know Latin-1 fonts unless extra font libraries are installed), imported by pyHanko as the widget's
appearance stream. The time drawn is the very time the signature claims (one `signed_at` for both).
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime, tzinfo
from typing import Any
from xml.sax.saxutils import escape

from pyhanko.pdf_utils.content import ImportedPdfPage
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph

from core.clock import local
from core.text import nfc
from minutes.fonts import register

SIGNED = "Đã ký số"
RED = colors.Color(0.75, 0.1, 0.1)


def appearance_pdf(*, width: float, height: float, name: str, title: str, at: datetime, tz: str | tzinfo) -> bytes:
    """One page of exactly the field's size: a thin red frame, 'Đã ký số', name, title, time (an empty name or
    title is left out)."""
    family = register()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(0.8)
    canvas.roundRect(1, 1, width - 2, height - 2, 4)
    when = local(at, tz).strftime("%H:%M, %d/%m/%Y")
    style = ParagraphStyle("stamp", fontName=family, fontSize=10, leading=12.5, alignment=TA_CENTER, textColor=RED)
    lines = [
        f"<b>{escape(SIGNED)}</b>",
        f"<b>{escape(nfc(name))}</b>" if name else "",
        escape(nfc(title)) if title else "",
        f"Thời gian ký: {when}",
    ]
    story = [Paragraph(line, style) for line in lines if line]
    Frame(0, 0, width, height, leftPadding=4, rightPadding=4, topPadding=6, bottomPadding=2).addFromList(story, canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _PdfPageFromBytes(ImportedPdfPage):
    """pyHanko's ImportedPdfPage reads a file by name; this one reads bytes we just drew."""

    def __init__(self, data: bytes) -> None:
        # pyHanko leaves __init__ unannotated
        super().__init__(file_name="", page_ix=0)  # type: ignore[no-untyped-call]
        self.data = data

    def render(self) -> bytes:
        xobj = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.data)), page_ix=0)
        resource = b"/Import" + uuid.uuid4().hex.encode()
        self.resources.xobject[resource.decode("ascii")] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return resource + b" Do"


def field_rect(writer: Any, field_name: str) -> tuple[float, float] | None:
    """Width and height of the named signature field, if the file has it with a real size."""
    form = writer.root.get("/AcroForm")
    for ref in form.get_object().get("/Fields", []) if form is not None else []:
        field = ref.get_object()
        if str(field.get("/T", "")) == field_name and "/Rect" in field:
            x0, y0, x1, y1 = (float(v) for v in field["/Rect"])
            if abs(x1 - x0) > 1 and abs(y1 - y0) > 1:
                return abs(x1 - x0), abs(y1 - y0)
    return None


def stamp_style(
    size: tuple[float, float], *, name: str, title: str, at: datetime, tz: str | tzinfo
) -> StaticStampStyle:
    data = appearance_pdf(width=size[0], height=size[1], name=name, title=title, at=at, tz=tz)
    return StaticStampStyle(background=_PdfPageFromBytes(data), border_width=0, background_opacity=1.0)
