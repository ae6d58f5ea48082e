"""Dynamic watermarks: who is looking, from which unit, and when — drawn on every page image and every
downloaded PDF, so that a photo of a screen or a forwarded copy identifies the viewer.

Images get (1) a band along the bottom edge with "name · unit · dd/mm/yyyy HH:MM" in solid dark red on a
light strip and (2) the name and time repeated faintly across the page's whole width, a line every ~200 rows
(`layout`): horizontal, so the rows between them are the same for every viewer and compressed once per page
(docs/performance.md, "the watermark's rows"). PDFs get the band and the name and time diagonally
(documents/watermark_pdf.py). The font must
cover Vietnamese: DejaVu Sans (Debian's fonts-dejavu-core); FONT_PATH is the one place that names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from documents import pngfast

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


@dataclass(frozen=True)
class Layout:
    """Where a page of this size carries the watermark: `lines`, rows (y0, y1) with the name and time repeated
    faintly across the whole width, evenly spaced down the page; and the band's rows at the bottom. Every
    other row is the page's own for every viewer, so it is compressed once per page (documents/pngfast.py
    pieces) and only these rows are composed and compressed per viewer (docs/performance.md, "the watermark's
    rows")."""

    width: int
    height: int
    line_height: int
    lines: tuple[tuple[int, int], ...]
    band: tuple[int, int]

    @property
    def marked(self) -> tuple[tuple[int, int], ...]:
        return (*self.lines, self.band)

    @property
    def shared(self) -> tuple[tuple[int, int], ...]:
        """The rows between the marked ones (one range before each marked range; some may be empty)."""
        starts = (0, *(y1 for _, y1 in self.marked[:-1]))
        return tuple((start, y0) for start, (y0, _) in zip(starts, self.marked))


LINE_FONT = 40  # the faint line's font: a 40th of the page's width (32 px on a tablet page)
LINE_PITCH = 0.16  # a faint line every 16 % of the page's width down the page (205 rows on a tablet page)


def line_font_px(width: int) -> int:
    return max(8, width // LINE_FONT)


@lru_cache(maxsize=16)
def layout(width: int, height: int) -> Layout:
    line_h = int(line_font_px(width) * 1.5)
    top = max(0, height - band_height(height, width))
    count = max(1, round(top / max(line_h * 2, width * LINE_PITCH)))
    pitch = top / count
    starts = (max(0, round(pitch * (k + 0.5) - line_h / 2)) for k in range(count))
    lines = tuple((y, y + line_h) for y in starts if y + line_h <= top)
    return Layout(width, height, line_h, lines, (top, height))


@dataclass(frozen=True, eq=False)
class Inked:
    """The inked pixels of a drawn text, kept small: as horizontal runs (row, first column, length) and the
    pixels' levels in reading order. A room's followers' marks are drawn ahead and kept (documents/prewarm.py):
    ~30 KiB a mark at 1280 px this way, against ~250 KiB as 32-bit positions; decoded in ~30 µs."""

    rows: np.ndarray  # uint16, one per run
    starts: np.ndarray  # int16 (a column left of the box: the faint line's copy begins before its period)
    lengths: np.ndarray  # uint16
    levels: np.ndarray  # uint8, one per inked pixel, in the order of `positions`

    @classmethod
    def of(cls, pixels: np.ndarray, left: int = 0) -> Inked:
        """`pixels`' inked ones; `left`: the column of the box's first pixel, relative to where the text starts."""
        inked = pixels > 0
        edges = np.diff(np.pad(inked, ((0, 0), (1, 1))).astype(np.int8), axis=1)
        rows, first = np.nonzero(edges == 1)  # row-major, as the ends below: each run's start pairs its end
        _, end = np.nonzero(edges == -1)
        return cls(
            rows.astype(np.uint16), (first + left).astype(np.int16), (end - first).astype(np.uint16), pixels[inked]
        )

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """The inked pixels' rows and columns, in the order of `levels`."""
        n = self.lengths.astype(np.intp)
        ends = np.cumsum(n)
        within = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - n, n)
        return np.repeat(self.rows.astype(np.intp), n), np.repeat(self.starts.astype(np.intp), n) + within

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.starts.nbytes + self.lengths.nbytes + self.levels.nbytes


@dataclass(frozen=True, eq=False)
class Mark:
    """One viewer's watermark at one page width, drawn once and composed onto any page of that width, as its
    inked pixels only: the faint line, one copy of the text (a page's line repeats it every `period` columns,
    each line of the page starting further along, so the lines are staggered), and the band's dark red text
    (coverage 0-255)."""

    faint: Inked  # one copy of the faint line's text, columns relative to its start; levels are its alpha
    period: int
    band: Inked  # the band's text: levels are its coverage


def faint_strip(m: Mark, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mark's faint line repeated every `period` columns over the width of a page and one period more (where
    any of its lines is cut from), as rows, columns and alpha: made once for each page stamped."""
    ly, lx = m.faint.positions()
    copies = np.arange(-1, width // m.period + 3) * m.period
    xs = (lx[None, :] + copies[:, None]).ravel()
    return np.tile(ly, len(copies)), xs, np.tile(m.faint.levels, len(copies))


def faint_line(
    strip: tuple[np.ndarray, np.ndarray, np.ndarray], period: int, k: int, width: int, height: int, channels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inked pixels of a page's k-th faint line, `height` rows (`strip`: `faint_strip`): as flat indices into
    those rows' pixels and into their scanlines (the first sample), and alpha."""
    ly, lx, la = strip
    start = (k * 5 * period // 13) % period  # staggered: the text does not line up down the page
    keep = (lx >= start) & (lx < start + width) & (ly < height)
    ys, xs = ly[keep], lx[keep] - start
    return ys * width + xs, ys * (width * channels + 1) + 1 + xs * channels, la[keep].astype(np.uint16)


BAND_FONT_MIN = 9  # px: the smallest the band's text is drawn before any of it is left out


def band_text(line: str, width: int, band_h: int) -> tuple[str, ImageFont.FreeTypeFont]:
    """The band's text and font: the whole line (name, unit and time) in the largest bold font that fits the
    width; a smaller font rather than a missing time. Only a line too long even at BAND_FONT_MIN px loses its
    end, with an ellipsis."""
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    room = width - 8
    px = int(band_h * 0.62)
    wide = measure.textlength(line, font=_font(px, bold=True))
    if wide > room:  # text widths scale with the font's size: one step down to the size that fits, then check
        px = max(BAND_FONT_MIN, int(px * room / wide))
        while px > BAND_FONT_MIN and measure.textlength(line, font=_font(px, bold=True)) > room:
            px -= 1
    font, text = _font(px, bold=True), line
    if measure.textlength(text, font=font) <= room:
        return text, font
    while len(text) > 8 and measure.textlength(text + "…", font=font) > room:
        text = text[:-1]
    return text.rstrip() + "…", font


# ~30 KiB each at 1280 px (≤ 5 MB): the viewers of a room for this minute and the next (the stamp is in the
# key), both bands (restricted or not) when drawn ahead (documents/prewarm.py).
@lru_cache(maxsize=160)
def mark(line: str, diagonal: str, width: int, band_h: int) -> Mark:
    band = Image.new("L", (width, band_h), 0)
    draw = ImageDraw.Draw(band)
    text, font = band_text(line, width, band_h)
    draw.text((width / 2, band_h / 2), text, font=font, fill=255, anchor="mm")
    lfont = _font(line_font_px(width))
    period = int(draw.textlength(diagonal + " " * 6, font=lfont))
    pad = int(lfont.size)  # room for a glyph reaching left of where it is drawn (or past the text's advance)
    copy = Image.new("L", (period + 2 * pad, int(lfont.size * 1.5)), 0)
    ImageDraw.Draw(copy).text((pad, lfont.size // 4), diagonal, font=lfont, fill=DIAGONAL_COLOUR[3])
    return Mark(Inked.of(np.asarray(copy), left=-pad), period, Inked.of(np.asarray(band)))


@dataclass(frozen=True, eq=False)
class Page:
    """A decoded page render, ready for stamping: its pixels, "grey" (height × width) when every pixel is
    grey (text pages) else RGB; its PNG scanlines without a viewer's marks (grey as palette indices) but with
    the band's light strip, the strip's levels, and the rows no mark touches compressed once
    (`Layout.shared`)."""

    pixels: np.ndarray
    rows: np.ndarray
    strip: np.ndarray  # the band's rows: the page under the light strip (uint16 levels, grey or RGB)
    shared: tuple[pngfast.Piece, ...]

    @property
    def grey(self) -> bool:
        return self.pixels.ndim == 2

    @property
    def nbytes(self) -> int:
        return self.pixels.nbytes + self.rows.nbytes + self.strip.nbytes + sum(len(p.data) for p in self.shared)

    @classmethod
    def of(cls, image: Image.Image) -> Page:
        """`image` as the render cache holds it: "L" for a grey page (documents/render.py), else RGB."""
        if image.mode == "L":
            pixels = np.asarray(image)
            return cls.ready(pixels, pngfast.scanlines(_TO_GREY[pixels]))
        rgb = image.convert("RGB")
        if pngfast.is_grey(rgb):
            return cls.of(rgb.convert("L"))  # rendered before grey pages were kept grey; L = R = G = B here
        rows = pngfast.scanlines(np.asarray(rgb))
        return cls.ready(rows[:, 1:].reshape(rgb.height, rgb.width, 3).copy(), rows)

    @classmethod
    def ready(cls, pixels: np.ndarray, rows: np.ndarray) -> Page:
        where = layout(pixels.shape[1], pixels.shape[0])
        top = where.band[0]
        strip = (pixels[top:].astype(np.uint16) * (255 - STRIP_ALPHA) + 255 * STRIP_ALPHA + 127) // 255
        rows[top:, 1:] = (_TO_GREY[strip] if pixels.ndim == 2 else strip).reshape(len(strip), -1)
        return cls(pixels, rows, strip, tuple(pngfast.piece(rows[y0:y1]) for y0, y1 in where.shared))

    @classmethod
    def open(cls, path: Path) -> Page:
        with Image.open(path) as img:
            return cls.of(img)


# A grey page with its red band goes out as an 8-bit palette PNG (1 byte a pixel, 3× less to deflate than
# RGB): GREYS evenly spaced greys (≤ 0.7 levels off: invisible), then the band's red text as a fixed 8 × 8 grid
# (coverage level × the light strip's level), so no palette is computed per viewer.
GREYS = 192
_TO_GREY = np.array([(v * (GREYS - 1) + 127) // 255 for v in range(256)], np.uint8)
_GREY_PALETTE = bytes(c for i in range(GREYS) for c in (round(i * 255 / (GREYS - 1)),) * 3)
STRIP_ALPHA = STRIP_COLOUR[3]
STRIP_LOW = 255 * STRIP_ALPHA // 255  # the strip over black: its darkest level


def _red(strip: float, cover: float) -> list[int]:
    """The band's colour where the text covers `cover` (0-255) of a pixel of the strip at level `strip`."""
    return [round((strip * (255 - cover) + c * cover) / 255) for c in BAND_COLOUR[:3]]


_RED_PALETTE = bytes(
    v
    for level in range(8)
    for shade in range(8)
    for v in _red(STRIP_LOW + (shade + 0.5) * (256 - STRIP_LOW) / 8, (level + 0.5) * 32)
)
PALETTE = _GREY_PALETTE + _RED_PALETTE


def stamp_image(base_path: Path, viewer: Viewer) -> bytes:
    """The cached page image with this viewer's watermark, encoded for the wire."""
    return stamp_page(Page.open(base_path), viewer)


def viewer_mark(viewer: Viewer, width: int, height: int) -> Mark:
    return mark(viewer.line, f"{viewer.name} · {viewer.stamp}", width, band_height(height, width))


def warm_up(width: int) -> None:
    """Draws a mark at start-up: the fonts and the drawing code are loaded then, not by the first page a tablet
    waits for (and what they hold is counted once, before any tablet connects)."""
    viewer_mark(Viewer(0, "Khởi động", "Văn phòng Chính phủ", "01/01/2026 00:00"), width, 2 * width)
    mark.cache_clear()


def stamp_page(page: Page, viewer: Viewer) -> bytes:
    """A decoded page (left unchanged: documents/stamped_pages.py shares it) with this viewer's watermark: the
    faint lines blended into their rows, the text over the band's strip, each compressed on its own, between
    the page's shared pieces (documents/pngfast.py)."""
    height, width = page.pixels.shape[:2]
    where, m = layout(width, height), viewer_mark(viewer, width, height)
    channels = 1 if page.grey else 3
    pieces: list[pngfast.Piece] = []
    strip = faint_strip(m, width)
    for k, (y0, y1) in enumerate(where.lines):
        pieces += [page.shared[k], _lines(page, y0, y1, *faint_line(strip, m.period, k, width, y1 - y0, channels))]
    y0, y1 = where.band
    pieces += [page.shared[-1], _band(page, y0, y1, m)]
    if not page.grey:
        return pngfast.encode_pieces(pieces, width, height, pngfast.RGB)
    return pngfast.encode_pieces(pieces, width, height, pngfast.PALETTE, PALETTE)


def _body(page: Page, rows: np.ndarray) -> np.ndarray:
    """The pixels of a copy of some of the page's scanlines (a view: writing it writes the scanlines)."""
    return rows[:, 1:].reshape((len(rows), *page.pixels.shape[1:]))


def _lines(page: Page, y0: int, y1: int, pix: np.ndarray, at: np.ndarray, alpha: np.ndarray) -> pngfast.Piece:
    """Rows y0..y1 of the page with the faint line's pixels (flat indices: `Mark.line`) blended in, compressed."""
    rows = page.rows[y0:y1].copy()
    flat = rows.reshape(-1)
    if page.grey:
        under = page.pixels[y0:y1].reshape(-1)[pix].astype(np.uint16)
        flat[at] = _TO_GREY[(under * (255 - alpha) + DIAGONAL_COLOUR[0] * alpha + 127) // 255]
    else:
        under = page.pixels[y0:y1].reshape(-1, 3)[pix].astype(np.uint16)
        mixed = ((under * (255 - alpha[:, None]) + DIAGONAL_COLOUR[0] * alpha[:, None] + 127) // 255).astype(np.uint8)
        for c in range(3):
            flat[at + c] = mixed[:, c]
    return pngfast.piece(rows)


def _band(page: Page, y0: int, y1: int, m: Mark) -> pngfast.Piece:
    """The band's rows (the light strip is the page's already): the viewer's line in dark red, compressed."""
    rows = page.rows[y0:y1].copy()
    by, bx = m.band.positions()
    keep = by < y1 - y0  # all of the text, but on a page shorter than the band
    by, bx, cover = by[keep], bx[keep], m.band.levels[keep]
    strip = page.strip[by, bx]
    if page.grey:
        shade = np.minimum((strip - STRIP_LOW) * 8 // (256 - STRIP_LOW), 7)
        _body(page, rows)[by, bx] = (GREYS + (cover // 32) * 8 + shade).astype(np.uint8)
    else:
        c = cover[:, None]
        red = np.array(BAND_COLOUR[:3], np.uint16)
        _body(page, rows)[by, bx] = ((strip * (255 - c) + red * c + 127) // 255).astype(np.uint8)
    return pngfast.piece(rows)
