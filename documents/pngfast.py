"""A PNG writer for watermarked pages: scanlines prepared once per page, no row filter, zlib level 1.

Pillow's PNG encoder tries every row filter on every row of an RGB image: ~75 ms for a 1280 px page, the
largest part of a page turn. A rendered text page is mostly runs of identical bytes, which deflate compresses
well unfiltered: the same page is ~20 ms as RGB, and ~8 ms as an 8-bit palette image (documents/watermark.py
sends a grey page that way). The deflate is ISA-L's (`isal`): the same zlib stream as zlib's level 1, about
six times faster and a little smaller (a 1280 px text page: ~4.6 against ~28 ms under load), and it runs
without the GIL, so the tablets' pages deflate on every core.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
from isal import isal_zlib
from PIL import Image, ImageChops

GREY, RGB, PALETTE = 0, 2, 3  # PNG colour types
CHANNELS = {GREY: 1, RGB: 3, PALETTE: 1}


def is_grey(image: Image.Image) -> bool:
    """Every pixel of an RGB image grey (R = G = B): a text page, kept and sent with one byte a pixel."""
    r, g, b = image.split()
    return ImageChops.difference(r, g).getbbox() is None and ImageChops.difference(g, b).getbbox() is None


def scanlines(pixels: np.ndarray) -> np.ndarray:
    """(height, width) or (height, width, 3) uint8 as PNG scanlines: each row led by its filter byte (0: none)."""
    height = pixels.shape[0]
    rows = np.empty((height, pixels[0].size + 1), np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = pixels.reshape(height, -1)
    return rows


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode(rows: np.ndarray, width: int, colour_type: int, palette: bytes = b"", level: int = 1) -> bytes:
    """A PNG file of `scanlines` rows (8 bits a sample; `palette` as RGB triplets for PALETTE); `level` is ISA-L's
    (0-3)."""
    assert rows.shape[1] == width * CHANNELS[colour_type] + 1 and rows.flags.c_contiguous
    return _png(width, rows.shape[0], colour_type, palette, isal_zlib.compress(rows.data, level))


def _png(width: int, height: int, colour_type: int, palette: bytes, idat: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header)]
    if colour_type == PALETTE:
        parts.append(_chunk(b"PLTE", palette))
    parts += [_chunk(b"IDAT", idat), _chunk(b"IEND", b"")]
    return b"".join(parts)


# --- a PNG whose IDAT is built from pieces ------------------------------------------------------------------
# A zlib stream may be cut into raw-deflate pieces that each end with a full flush: a full flush ends on a byte
# boundary and forgets the dictionary, so a piece decodes without what came before it, and pieces compressed
# apart (once per page for the rows no watermark touches, per viewer for the rest) concatenate into one valid
# stream. Its checksum is the Adler-32 of the whole, combined from each piece's (`adler32_combine`).

ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KiB window, "fastest" (what level 1 writes)
LAST_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman): ends the deflate stream after the last piece
_ADLER_BASE = 65521


@dataclass(frozen=True)
class Piece:
    """Rows compressed on their own: raw deflate ending with a full flush, their Adler-32 and length."""

    data: bytes
    adler: int
    size: int


def piece(rows: np.ndarray, level: int = 1) -> Piece:
    """Consecutive scanlines (C-contiguous), compressed as a piece of a larger stream."""
    assert rows.flags.c_contiguous
    deflate = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -15)
    data = deflate.compress(rows.data) + deflate.flush(isal_zlib.Z_FULL_FLUSH)
    return Piece(data, isal_zlib.adler32(rows.data), rows.nbytes)


def adler32_combine(first: int, second: int, second_size: int) -> int:
    """The Adler-32 of A + B from A's, B's and B's length (zlib's adler32_combine)."""
    rem = second_size % _ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = rem * sum1 % _ADLER_BASE
    sum1 = (sum1 + (second & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    sum2 = (sum2 + (first >> 16) + (second >> 16) + _ADLER_BASE - rem) % _ADLER_BASE
    return sum1 | (sum2 << 16)


def encode_pieces(pieces: list[Piece], width: int, height: int, colour_type: int, palette: bytes = b"") -> bytes:
    """A PNG file whose scanlines are `pieces` in order (8 bits a sample; `palette` as for `encode`)."""
    adler = 1
    for p in pieces:
        adler = adler32_combine(adler, p.adler, p.size)
    assert sum(p.size for p in pieces) == height * (width * CHANNELS[colour_type] + 1)
    idat = b"".join([ZLIB_HEADER, *(p.data for p in pieces), LAST_BLOCK, struct.pack(">I", adler)])
    return _png(width, height, colour_type, palette, idat)
