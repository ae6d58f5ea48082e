"""Stamping a page for many viewers at once (documents/stamped_pages.py, documents/watermark.py,
documents/pngfast.py) on real renders: 25 tablets asking at once decode the page once and each gets a valid
PNG with their own watermark; the page's pixels stay the page's; a colour page keeps its colours."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageChops

from documents import watermark
from documents.render import BASE_FORMAT, cache_path, render_job
from documents.stamped_pages import StampedPages
from tests.doc_helpers import make_pdf, scanlines
from tests.waiting import eventually

TABLETS = 25


def _render(tmp_path: Path, colour: bool = False) -> Path:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(make_pdf(2))
    doc = pdfium.PdfDocument(str(pdf))
    page = doc[1]
    image = page.render(scale=1280 / page.get_size()[0]).to_pil().convert("RGB")
    doc.close()
    if colour:  # a red seal, as on an official letter
        image.paste((200, 20, 20), (900, 300, 1100, 500))
    target = tmp_path / ("colour.png" if colour else "page.png")
    image.save(target, **BASE_FORMAT)
    return target


def _viewer(n: int, restricted: bool = False) -> watermark.Viewer:
    return watermark.Viewer(
        user_id=n, name=f"Nguyễn Văn Thành {n}", unit="Bộ Tài chính", stamp="03/12/2026 14:05", restricted=restricted
    )


def _decode(body: bytes) -> Image.Image:
    with Image.open(io.BytesIO(body)) as img:
        assert img.format == "PNG"
        return img.convert("RGB")


async def test_twenty_five_tablets_at_once_decode_the_page_once_and_each_gets_their_own_watermark(
    tmp_path: Path,
) -> None:
    base = _render(tmp_path)
    pages = StampedPages()
    viewers = [_viewer(n, restricted=True) for n in range(1, TABLETS + 1)]
    bodies = await asyncio.gather(*(pages.get(base, (v.user_id, "p2", v.line), v) for v in viewers))
    assert pages.decoded_count == 1 and pages.made == TABLETS
    assert len(set(bodies)) == TABLETS  # every viewer's image is their own
    with Image.open(base) as raw:
        page = raw.convert("RGB")
    first, other = _decode(bodies[0]), _decode(bodies[1])
    band = (0, page.height - watermark.band_height(page.height, page.width), page.width, page.height)
    assert ImageChops.difference(first.crop(band), other.crop(band)).getbbox() is not None  # the names differ
    # The band is dark red on a light strip; above it the page is the page, but for the faint diagonal.
    strip = np.asarray(first.crop(band)).astype(int)
    assert ((strip[..., 0] > 100) & (strip[..., 1] < 40) & (strip[..., 2] < 40)).sum() > 500
    above = (0, 0, page.width, band[1])
    diff = np.asarray(ImageChops.difference(first.crop(above), page.crop(above)).convert("L"))
    assert (diff > 2).sum() > 10_000  # the diagonal is there
    assert (diff > 2).sum() < 0.05 * diff.size  # and only it: the page's own pixels kept (greys within a level)


async def test_the_same_viewer_and_page_asked_at_once_is_stamped_once(tmp_path: Path) -> None:
    base = _render(tmp_path)
    pages = StampedPages()
    viewer = _viewer(7)
    bodies = await asyncio.gather(*(pages.get(base, ("same",), viewer) for _ in range(TABLETS)))
    assert pages.made == 1 and len(set(bodies)) == 1
    assert bodies[0] == watermark.stamp_image(base, viewer)  # the same bytes as stamping it on its own


async def test_a_colour_page_keeps_its_colours_and_a_deleted_file_leaves_the_memory(tmp_path: Path) -> None:
    base = _render(tmp_path, colour=True)
    pages = StampedPages()
    sha = "ab" * 32
    body = await pages.get(base, (1, sha, "tablet", 2), _viewer(1))
    img = _decode(body)
    seal = np.asarray(img.crop((900, 300, 1100, 500)))
    assert (seal == (200, 20, 20)).all(
        axis=2
    ).sum() > 0.8 * 200 * 200  # the seal's colour exactly (an RGB PNG), but where the diagonal crosses it
    with Image.open(base) as raw:
        page = np.asarray(raw.convert("RGB")).astype(int)
    top = img.height - watermark.band_height(img.height, img.width)
    stamped = np.asarray(img).astype(int)
    assert (np.abs(stamped[:top] - page[:top]).max(axis=2) > 2).sum() > 10_000  # the diagonal, on a colour page too
    band = stamped[top:]
    assert ((band[..., 0] > 100) & (band[..., 1] < 40) & (band[..., 2] < 40)).sum() > 500  # and the red band
    pages.forget(sha)
    assert pages.size == 0 and not pages.entries


def test_the_render_cache_keeps_a_text_page_grey_and_a_colour_page_in_colour(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(make_pdf(1))
    assert render_job(str(pdf), str(tmp_path), "cd" * 32, [1], ("tablet",)) == 1
    with Image.open(cache_path(tmp_path, "cd" * 32, "tablet", 1)) as img:
        assert img.mode == "L"  # one byte a pixel to decode and to deflate
    colour = Image.new("RGB", (64, 64), "white")
    colour.paste((200, 20, 20), (8, 8, 24, 24))
    assert watermark.Page.of(colour).pixels.shape == (64, 64, 3)


async def test_a_tablet_waiting_for_its_page_goes_before_the_pages_stamped_ahead(tmp_path: Path) -> None:
    base = _render(tmp_path)
    pages = StampedPages()
    ahead = [asyncio.ensure_future(pages.get(base, ("ahead", n), _viewer(n), ahead=True)) for n in range(1, 25)]
    await eventually(lambda: len(pages.inflight) == len(ahead), "the next pages queued to be stamped ahead")
    viewer = _viewer(99, restricted=True)
    body = await pages.get(base, ("now",), viewer)
    assert sum(t.done() for t in ahead) <= len(ahead) // 2  # it did not wait for the 24 queued before it
    assert scanlines(body) == scanlines(watermark.stamp_image(base, viewer))
    # the last one stamped ahead, now asked for by its tablet while (most likely) still queued: stamped once
    assert await pages.get(base, ("ahead", 24), _viewer(24)) == await ahead[-1]
    await asyncio.gather(*ahead)
    assert pages.made == len(ahead) + 1


async def test_pages_stamped_ahead_for_many_viewers_at_once_carry_each_their_own_marks_and_no_one_elses(
    tmp_path: Path,
) -> None:
    base = _render(tmp_path)
    pages = StampedPages()
    viewers = [_viewer(n, restricted=n % 2 == 0) for n in range(1, TABLETS + 1)]
    bodies = await asyncio.gather(*(pages.get(base, (v.user_id,), v, ahead=True) for v in viewers))
    with Image.open(base) as raw:
        width, height = raw.size
    where = watermark.layout(width, height)
    rows = [np.frombuffer(scanlines(b), np.uint8).reshape(height, -1) for b in bodies]
    for viewer, body, scan in zip(viewers, bodies, rows):
        # exactly the image stamping for them alone gives (compressed bytes may differ: the image may not)
        assert scanlines(body) == scanlines(watermark.stamp_image(base, viewer))
        for y0, y1 in where.shared:  # the rows no mark touches are the page's, the same for everyone
            assert (scan[y0:y1] == rows[0][y0:y1]).all()
    for a in range(TABLETS):
        for b in range(a + 1, TABLETS):
            for y0, y1 in where.marked:  # and every marked row range is this viewer's own: no one else's
                assert (rows[a][y0:y1] != rows[b][y0:y1]).any(), (viewers[a].name, viewers[b].name, y0)


async def test_every_strip_of_the_page_a_reader_could_crop_carries_the_viewers_name(tmp_path: Path) -> None:
    base = _render(tmp_path)
    with Image.open(base) as raw:
        page = np.asarray(raw.convert("L")).astype(int)
    viewer = _viewer(3)
    stamped = np.asarray(_decode(watermark.stamp_image(base, viewer)).convert("L")).astype(int)
    height, width = page.shape
    where = watermark.layout(width, height)
    pitch = max(b[0] - a[0] for a, b in zip(where.lines, where.lines[1:]))
    tall = pitch + where.line_height  # any strip this tall holds one whole faint line
    assert tall < height // 7  # the faint lines leave at most ~4 lines of 12 pt text of an A4 page between them
    for y in range(0, height - tall, 37):
        for x in range(0, width - width // 2, width // 8):  # half the page's width, anywhere across it
            crop = (slice(y, y + tall), slice(x, x + width // 2))
            assert (np.abs(stamped[crop] - page[crop]) > 2).sum() > 500, (y, x)
    # and above the band, only the faint lines' rows differ from the page: the rest is shared by every viewer
    changed = {y for y in range(where.band[0]) if (np.abs(stamped[y] - page[y]) > 2).any()}
    assert changed <= {y for y0, y1 in where.lines for y in range(y0, y1)}


def test_the_band_shows_the_whole_identity_and_time_of_a_long_name_and_unit() -> None:
    """A minister of a ministry with a long name still sees when the copy was made: the band's font shrinks to
    fit the line rather than cutting off its end (the time)."""
    viewer = watermark.Viewer(
        user_id=7,
        name="Nguyễn Thị Phương Thảo",
        unit="Bộ Tài nguyên và Môi trường",
        stamp="03/12/2026 18:52",
        restricted=True,
    )
    for width in (768, 1024, 1280):
        height = width * 1414 // 1000  # an A4 page
        text, font = watermark.band_text(viewer.line, width, watermark.band_height(height, width))
        assert text == viewer.line and text.endswith("03/12/2026 18:52"), width
        assert font.size >= watermark.BAND_FONT_MIN
    text, _ = watermark.band_text("TÀI LIỆU HẠN CHẾ · " + "Đơn vị rất dài " * 40, 768, 30)
    assert text.endswith("…") and len(text) > 8
