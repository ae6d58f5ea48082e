"""Dynamic watermarks: who is looking, from which unit, and when — drawn on every page image and every
downloaded PDF, so that a photo of a screen or a forwarded copy identifies the viewer.

Images get (1) a band along the bottom edge with "name · unit · dd/mm/yyyy HH:MM" in solid dark red on a
light strip and (2) the name and time repeated diagonally across the page, faint. PDFs get the same drawn
with reportlab as an overlay page stamped on each page with pikepdf. The font must cover Vietnamese: DejaVu
Sans (Debian's fonts-dejavu-core); FONT_PATH is the one place that names it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image, ImageDraw, ImageFont

from documents import cdr

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# PNG at zlib level 1: on a 1280 px text page ~75 ms to encode and ~40 ms to decode, against ~130/~100 ms for WebP.
OUTPUT: dict[str, Any] = {"format": "PNG", "compress_level": 1}
MEDIA_TYPE = "image/png"
BAND_COLOUR = (150, 0, 0, 255)
STRIP_COLOUR = (255, 255, 255, 200)
DIAGONAL_COLOUR = (120, 120, 120, 46)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    unit: str
    stamp: str  # local time, "dd/mm/yyyy HH:MM"
    restricted: bool = False
    issued: str = ""  # the same moment as a PDF date with the organisation's offset (the copy's /ModDate)

    @property
    def line(self) -> str:
        parts = [self.name, self.unit, self.stamp]
        label = " · ".join(p for p in parts if p)
        return f"TÀI LIỆU HẠN CHẾ · {label}" if self.restricted else label


@lru_cache(maxsize=32)
def _font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD_PATH if bold else FONT_PATH), max(6, px))


def band_height(height: int, width: int) -> int:
    return max(12, int(min(width, height) * 0.035) + 6)


@lru_cache(maxsize=64)
def overlay(line: str, diagonal: str, width: int, height: int) -> Image.Image:
    """The RGBA layer for one viewer at one image size (cached: the same viewer flips pages)."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    band = band_height(height, width)
    draw = ImageDraw.Draw(layer)
    draw.rectangle((0, height - band, width, height), fill=STRIP_COLOUR)
    font = _font(int(band * 0.62), bold=True)
    text = line
    while draw.textlength(text, font=font) > width - 8 and len(text) > 8:
        text = text[:-2]
    draw.text((width / 2, height - band / 2), text, font=font, fill=BAND_COLOUR, anchor="mm")
    # the faint diagonal: one tile, rotated, repeated down the page
    dfont = _font(max(8, width // 26))
    tw = int(draw.textlength(diagonal, font=dfont)) + 20
    tile = Image.new("RGBA", (tw, int(dfont.size * 2)), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((10, dfont.size // 2), diagonal, font=dfont, fill=DIAGONAL_COLOUR)
    tile = tile.rotate(30, expand=True, resample=Image.Resampling.BICUBIC)
    step_y = max(tile.height, height // 4)
    for row, y in enumerate(range(-tile.height // 3, height - band, step_y)):
        x = (width - tile.width) // 2 + (width // 4 if row % 2 else -width // 4)
        layer.alpha_composite(tile, (max(0, min(x, width - tile.width)) if tile.width < width else 0, max(0, y)))
    return layer


def stamp_image(base_path: Path, viewer: Viewer) -> bytes:
    """The cached page image with this viewer's watermark, encoded for the wire."""
    with Image.open(base_path) as img:
        return stamp_page(img.convert("RGB"), viewer)


def stamp_page(page: Image.Image, viewer: Viewer) -> bytes:
    """A decoded page (left unchanged: documents/stamped_pages.py shares it) with this viewer's watermark."""
    layer = overlay(viewer.line, f"{viewer.name} · {viewer.stamp}", page.width, page.height)
    page = page.copy()
    page.paste(layer, (0, 0), layer)
    out = io.BytesIO()
    page.save(out, **OUTPUT)
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------------------------

_REGISTERED: set[str] = set()


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
    overlays: dict[tuple[float, float], pikepdf.Pdf] = {}
    with pikepdf.open(source) as pdf:
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
