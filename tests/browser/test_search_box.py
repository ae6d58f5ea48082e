"""The search box at 1024×768 and 768×1024: typing "dat dai" on the home page and on the live page finds the
page that says "đất đai", marks the words, and opening the hit shows that page in the viewer."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from documents.watermark import FONT_PATH

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "search"


def _pdf() -> bytes:
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_PATH)))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for text in (
        "Báo cáo tình hình kinh tế - xã hội.",
        "Dự án Luật Đất đai (sửa đổi): thu hồi đất, bồi thường.",
        "Phụ lục số liệu.",
    ):
        c.setFont("DejaVuSans", 16)
        c.drawString(72, 770, text)
        c.showPage()
    c.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def land_doc(browser, server) -> int:
    from tests.browser.conftest import Tablet

    staff = Tablet(browser, server).login("vanphong")
    try:
        token = staff.page.evaluate("document.querySelector('meta[name=csrf-token]')?.content || ''")
        r = staff.page.request.post(
            f"{server}/api/meetings/1/documents",
            headers={"X-CSRF-Token": token},
            multipart={
                "title": "Tờ trình dự án Luật Đất đai",
                "file": {"name": "dat-dai.pdf", "mimeType": "application/pdf", "buffer": _pdf()},
            },
        )
        assert r.status == 201, r.text()
        return r.json()["id"]
    finally:
        staff.close()


@pytest.mark.parametrize("size", [(1024, 768), (768, 1024)], ids=["landscape", "portrait"])
@pytest.mark.parametrize("where", ["home", "live"])
def test_typing_dat_dai_finds_the_page_and_opens_it(tablet, land_doc: int, size: tuple[int, int], where: str) -> None:
    t = tablet("thanhvien01")
    t.page.set_viewport_size({"width": size[0], "height": size[1]})
    if where == "live":
        t.open_live(1)
    t.page.get_by_test_id("search-q").fill("dat dai")
    hit = t.page.locator(f"[data-testid=search-hit][href$='/documents/{land_doc}?page=2']")
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_have_text("Đất")
    box = hit.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= size[0]  # inside the viewport's width
    SHOTS.mkdir(parents=True, exist_ok=True)
    t.page.screenshot(path=str(SHOTS / f"{where}-{size[0]}x{size[1]}-hits.png"))
    hit.click()
    t.page.wait_for_url(re.compile(rf"/meetings/1/documents/{land_doc}\?page=2$"))
    viewer = t.page.get_by_test_id("viewer")
    expect(viewer).to_have_attribute("data-page", "2")
    t.page.wait_for_function(
        "() => document.getElementById('page-img').complete && document.getElementById('page-img').naturalWidth > 0"
    )
    t.page.screenshot(path=str(SHOTS / f"{where}-{size[0]}x{size[1]}-viewer.png"))
