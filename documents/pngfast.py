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
    header = struct.pack(">IIBBBBB", width, rows.shape[0], 8, colour_type, 0, 0, 0)
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header)]
    if colour_type == PALETTE:
        parts.append(_chunk(b"PLTE", palette))
    parts += [_chunk(b"IDAT", isal_zlib.compress(rows.data, level)), _chunk(b"IEND", b"")]
    return b"".join(parts)
