"""Where each picture goes on the composite: pure geometry, no media.

The featured source (the member who has the floor, else the hall camera) takes the left three quarters;
the others are tiles in the right column (two columns beyond four). Without a featured source every
source gets an equal cell of a grid. Rectangles are (x, y, w, h) with even numbers (yuv420p)."""

from __future__ import annotations

import math
from typing import Sequence

Rect = tuple[int, int, int, int]


def _even(v: float) -> int:
    return int(v) // 2 * 2


def _grid(
    keys: Sequence[str], x0: int, y0: int, w: int, h: int, cols: int, cell_h: float | None = None
) -> dict[str, Rect]:
    rows = math.ceil(len(keys) / cols)
    cw = w / cols
    ch = cell_h if cell_h is not None else h / rows
    top = y0 + (h - ch * rows) / 2 if cell_h is not None else y0
    return {
        key: (_even(x0 + (i % cols) * cw), _even(top + (i // cols) * ch), _even(cw), _even(ch))
        for i, key in enumerate(keys)
    }


def layout(keys: Sequence[str], featured: str | None, width: int, height: int) -> dict[str, Rect]:
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    if featured not in keys:
        featured = None
    if featured is None or len(keys) == 1:
        if featured is not None:
            return {featured: (0, 0, _even(width), _even(height))}
        cols = math.ceil(math.sqrt(len(keys)))
        return _grid(keys, 0, 0, width, height, cols)
    others = [k for k in keys if k != featured]
    main_w = _even(width * 3 / 4)
    side_w = width - main_w
    cols = 1 if len(others) <= 4 else 2
    rows = math.ceil(len(others) / cols)
    cell_h = min(height / rows, (side_w / cols) * 9 / 16)
    rects = {featured: (0, 0, main_w, _even(height))}
    rects.update(_grid(others, main_w, 0, side_w, height, cols, cell_h))
    return rects


def fit(src_w: int, src_h: int, rect: Rect) -> Rect:
    """The largest rectangle of the source's aspect ratio centred in `rect`."""
    x, y, w, h = rect
    if src_w <= 0 or src_h <= 0:
        return rect
    scale = min(w / src_w, h / src_h)
    fw, fh = max(2, _even(src_w * scale)), max(2, _even(src_h * scale))
    return (x + _even((w - fw) / 2), y + _even((h - fh) / 2), fw, fh)
