"""A page's image is bounded whatever its page size says: a few hundred bytes of PDF with a page 1 point wide
and thousands tall must not become gigapixels in the render worker (documents/render.py)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from PIL import Image

from documents.render import MAX_ASPECT, SIZES, cache_path, render_job


def _pdf(path: Path, *boxes: tuple[float, float]) -> None:
    pdf = pikepdf.new()
    for width, height in boxes:
        page = pdf.add_blank_page()
        page.obj.MediaBox = pikepdf.Array([0, 0, width, height])  # any size: pikepdf's helper refuses below 3
    pdf.save(path)


def test_a_needle_page_is_drawn_within_the_aspect_bound_and_an_a4_page_at_full_width(tmp_path: Path) -> None:
    src = tmp_path / "x.pdf"
    _pdf(src, (1, 14400), (595, 842), (14400, 1))
    assert render_job(str(src), str(tmp_path), "ab" * 32, [1, 2, 3], ("tablet", "zoom")) == 6
    for size in ("tablet", "zoom"):
        images = [Image.open(cache_path(tmp_path, "ab" * 32, size, n)) for n in (1, 2, 3)]
        needle, a4, ribbon = (im.size for im in images)
        assert needle[1] <= SIZES[size] * MAX_ASPECT + 1 and needle[0] <= 2, needle
        assert a4[0] == SIZES[size] and abs(a4[1] - round(SIZES[size] * 842 / 595)) <= 1, a4
        assert ribbon[0] == SIZES[size] and ribbon[1] <= 2, ribbon
