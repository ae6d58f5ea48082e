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

import numpy as np
import pikepdf
from PIL import Image, ImageDraw, ImageFont

from documents import cdr, pngfast

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
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


@dataclass(frozen=True, eq=False)
class Mark:
    """One viewer's watermark at one image size, drawn once and composed onto any page of that size: the
    faint diagonal as its few inked pixels (~50 000 of 2.3 million), the band as an RGBA strip."""

    ys: np.ndarray  # rows, columns and alpha of the diagonal's pixels above the band
    xs: np.ndarray
    alpha: np.ndarray
    band: np.ndarray  # (band height, width, 4) uint8: the light strip with the line in dark red


# ~0.65 MB each at 1280 px (≤ 42 MB): the viewers of a room for the current minute (the stamp is in the key).
@lru_cache(maxsize=64)
def mark(line: str, diagonal: str, width: int, height: int) -> Mark:
    band_h = band_height(height, width)
    band = Image.new("RGBA", (width, band_h), STRIP_COLOUR)
    draw = ImageDraw.Draw(band)
    font = _font(int(band_h * 0.62), bold=True)
    text = line
    while draw.textlength(text, font=font) > width - 8 and len(text) > 8:
        text = text[:-2]
    draw.text((width / 2, band_h / 2), text, font=font, fill=BAND_COLOUR, anchor="mm")
    # the faint diagonal: one tile, rotated, repeated down the page
    dfont = _font(max(8, width // 26))
    tw = int(draw.textlength(diagonal, font=dfont)) + 20
    tile = Image.new("L", (tw, int(dfont.size * 2)), 0)
    ImageDraw.Draw(tile).text((10, dfont.size // 2), diagonal, font=dfont, fill=DIAGONAL_COLOUR[3])
    # NEAREST: 0.5 ms against 7 ms bilinear (a viewer's mark is redrawn every minute); the glyphs are
    # anti-aliased already and the diagonal is faint, so it looks the same.
    tile = tile.rotate(30, expand=True, resample=Image.Resampling.NEAREST)
    inked = np.asarray(tile)
    ty, tx = np.nonzero(inked)
    ink = inked[ty, tx]
    top = height - band_h
    step_y = max(tile.height, height // 4)
    ys, xs, alpha = [], [], []
    for row, y in enumerate(range(-tile.height // 3, top, step_y)):
        x = (width - tile.width) // 2 + (width // 4 if row % 2 else -width // 4)
        x, y = (max(0, min(x, width - tile.width)) if tile.width < width else 0), max(0, y)
        keep = (ty + y < top) & (tx + x < width)  # the band covers the rows below it
        ys.append(ty[keep] + y)
        xs.append(tx[keep] + x)
        alpha.append(ink[keep])
    return Mark(
        np.concatenate(ys).astype(np.int32),
        np.concatenate(xs).astype(np.int32),
        np.concatenate(alpha).astype(np.uint16),
        np.asarray(band),
    )


@dataclass(frozen=True, eq=False)
class Page:
    """A decoded page render, ready for stamping: its pixels, "grey" (height × width) when every pixel is
    grey (text pages) else RGB, and its PNG scanlines without a watermark (grey as palette indices)."""

    pixels: np.ndarray
    rows: np.ndarray

    @property
    def grey(self) -> bool:
        return self.pixels.ndim == 2

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + (self.pixels.nbytes if self.grey else 0)

    @classmethod
    def of(cls, image: Image.Image) -> Page:
        """`image` as the render cache holds it: "L" for a grey page (documents/render.py), else RGB."""
        if image.mode == "L":
            pixels = np.asarray(image)
            return cls(pixels, pngfast.scanlines(_TO_GREY[pixels]))
        rgb = image.convert("RGB")
        if pngfast.is_grey(rgb):
            return cls.of(rgb.convert("L"))  # rendered before grey pages were kept grey; L = R = G = B here
        rows = pngfast.scanlines(np.asarray(rgb))
        return cls(rows[:, 1:].reshape(rgb.height, rgb.width, 3), rows)

    @classmethod
    def open(cls, path: Path) -> Page:
        with Image.open(path) as img:
            return cls.of(img)


# A grey page with its red band goes out as an 8-bit palette PNG (1 byte a pixel, 3× less to deflate than
# RGB): GREYS evenly spaced greys (≤ 0.7 levels off: invisible) and the rest for the band's own colours.
GREYS = 192
_TO_GREY = np.array([(v * (GREYS - 1) + 127) // 255 for v in range(256)], np.uint8)
_GREY_PALETTE = bytes(c for i in range(GREYS) for c in (round(i * 255 / (GREYS - 1)),) * 3)


def stamp_image(base_path: Path, viewer: Viewer) -> bytes:
    """The cached page image with this viewer's watermark, encoded for the wire."""
    return stamp_page(Page.open(base_path), viewer)


def stamp_page(page: Page, viewer: Viewer) -> bytes:
    """A decoded page (left unchanged: documents/stamped_pages.py shares it) with this viewer's watermark:
    the diagonal's pixels blended in, the band over the bottom rows, then a fast PNG (documents/pngfast.py)."""
    height, width = page.pixels.shape[:2]
    m = mark(viewer.line, f"{viewer.name} · {viewer.stamp}", width, height)
    rows = page.rows.copy()
    body = rows[:, 1:].reshape(page.pixels.shape)  # a view: writing it writes the scanlines
    under = page.pixels[m.ys, m.xs].astype(np.uint16)
    alpha = m.alpha if page.grey else m.alpha[:, None]
    inked = ((under * (255 - alpha) + DIAGONAL_COLOUR[0] * alpha + 127) // 255).astype(np.uint8)
    body[m.ys, m.xs] = _TO_GREY[inked] if page.grey else inked
    top = height - m.band.shape[0]
    below = page.pixels[top:].astype(np.uint16)
    cover = m.band[..., 3:].astype(np.uint16)
    band = ((below[..., None] if page.grey else below) * (255 - cover) + m.band[..., :3] * cover + 127) // 255
    if not page.grey:
        body[top:] = band
        return pngfast.encode(rows, width, pngfast.RGB)
    colours = Image.fromarray(band.astype(np.uint8)).quantize(256 - GREYS, method=Image.Quantize.FASTOCTREE)
    body[top:] = np.asarray(colours) + np.uint8(GREYS)
    palette = _GREY_PALETTE + bytes((colours.getpalette() or [])[: 3 * (256 - GREYS)])
    return pngfast.encode(rows, width, pngfast.PALETTE, palette)


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
