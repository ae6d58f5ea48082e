"""The watermark of a downloaded PDF: the band with "name · unit · dd/mm/yyyy HH:MM" along the bottom and the
name and time diagonally, drawn with reportlab as an overlay page stamped on each page with pikepdf (vector: no
cost per row). The viewer and the font are documents/watermark.py's. `stamp_pdf` runs in an export worker, under its
memory cap (documents/exports.py), never in the server process."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from pikepdf.exceptions import PikepdfError

from core.errors import Conflict
from core.i18n import Msg
from documents import cdr, pdfbudget
from documents.watermark import FONT_PATH, Viewer

_REGISTERED: set[str] = set()


class Unstampable(Conflict):
    """The stored file cannot be read back (qpdf stopped at a decoding limit: a file stored before the limits of
    documents/pdfbudget.py, or damage): no copy is made, and the server does not spend gigabytes trying."""

    def __init__(self) -> None:
        super().__init__(
            Msg(
                "Không tạo được bản sao của tài liệu này: tệp lưu trên máy chủ không đọc được hoặc giải nén ra quá "
                "lớn. Hãy báo Văn phòng tải lên lại bản PDF thông thường."
            ),
            details={"reason": "unreadable_file"},
        )


def _pdf_overlay(viewer: Viewer, width: float, height: float) -> bytes:
    from reportlab.lib.colors import Color
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "ECabinetSans" not in _REGISTERED:
        pdfmetrics.registerFont(TTFont("ECabinetSans", str(FONT_PATH)))
        _REGISTERED.add("ECabinetSans")
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(width, height))
    band = max(10.0, min(width, height) * 0.03)
    c.setFillColor(Color(1, 1, 1, alpha=0.8))
    c.rect(0, 0, width, band + 4, stroke=0, fill=1)
    c.setFillColor(Color(0.6, 0, 0))
    size = band * 0.62
    while c.stringWidth(viewer.line, "ECabinetSans", size) > width - 8 and size > 4:
        size -= 0.5
    c.setFont("ECabinetSans", size)
    c.drawCentredString(width / 2, 2 + band * 0.3, viewer.line)
    c.setFillColor(Color(0.45, 0.45, 0.45, alpha=0.18))
    c.setFont("ECabinetSans", max(10.0, width / 26))
    for y in (height * 0.25, height * 0.5, height * 0.75):
        c.saveState()
        c.translate(width / 2, y)
        c.rotate(30)
        c.drawCentredString(0, 0, f"{viewer.name} · {viewer.stamp}")
        c.restoreState()
    c.showPage()
    c.save()
    return out.getvalue()


def stamp_pdf(source: Path, viewer: Viewer) -> bytes:
    """A copy of the PDF with the viewer's watermark on every page (one overlay per distinct page size), disarmed
    and checked again (documents/cdr.py) on its way out."""
    pdfbudget.guard_qpdf(pdfbudget.Limits.for_upload(pdfbudget.DEFAULT_UPLOAD_MB))  # raised by uploads if need be
    try:
        return _stamp(source, viewer)
    except PikepdfError:
        raise Unstampable() from None


def _stamp(source: Path, viewer: Viewer) -> bytes:
    overlays: dict[tuple[float, float], pikepdf.Pdf] = {}
    with pikepdf.open(source, suppress_warnings=False) as pdf:  # a failed allocation is told: exports.copy_job
        for page in pdf.pages:
            box = page.mediabox
            x0, y0, x1, y1 = (float(v) for v in box)
            key = (round(x1 - x0, 2), round(y1 - y0, 2))
            if key not in overlays:
                overlays[key] = pikepdf.open(io.BytesIO(_pdf_overlay(viewer, *key)))
            page.add_overlay(overlays[key].pages[0], pikepdf.Rectangle(x0, y0, x1, y1))
        pdf.docinfo["/Subject"] = f"Bản sao cấp cho {viewer.name} ({viewer.unit}) lúc {viewer.stamp}"
        if viewer.issued:  # the copy was made now; /Author and /CreationDate stay the original document's
            pdf.docinfo["/ModDate"], pdf.docinfo["/Producer"] = viewer.issued, "e-Cabinet"
        cdr.check_clean(pdf)  # defence in depth: files stored before CDR, or a gap in it, never leave the server
        out = io.BytesIO()
        pdf.save(out)
    for o in overlays.values():
        o.close()
    return out.getvalue()
