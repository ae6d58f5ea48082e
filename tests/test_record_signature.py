"""Visible signatures: each signature fills the THƯ KÝ / CHỦ TỌA block the layout reserved for it with "Đã ký số",
the signer's name and title and the signing time on the organisation's clock; both signatures still validate."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from app.db import Database
from infra.settings import Settings
from ledger.keystore import KeyStore
from minutes.signing import verify_pdf
from minutes import services
from tests.factories import call
from tests.minutes_helpers import scripted_meeting, signer_keys
from tests.record_helpers import sign_both

FIELDS = ("ThuKy", "ChuToa")


def widget_rects(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Signature field name -> (page index, rect), read from the file itself."""
    out = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for i, page in enumerate(doc.pages):
            for annot in page.obj.get("/Annots", []):
                if annot.get("/FT") == "/Sig":
                    x0, y0, x1, y1 = (float(v) for v in annot.Rect)
                    out[str(annot.T)] = (i, (x0, y0, x1, y1))
    return out


def text_in(pdf: bytes, page_ix: int, rect: tuple[float, float, float, float], flatten: bool = True) -> str:
    """Text inside `rect` as printed: the widgets' appearances are flattened into the page first."""
    doc = pdfium.PdfDocument(pdf)
    try:
        if flatten:
            page = doc[page_ix]
            assert pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_PRINT) in (1, 2)
            page.close()
        page = doc[page_ix]
        x0, y0, x1, y1 = rect
        return " ".join(page.get_textpage().get_text_bounded(left=x0, bottom=y0, right=x1, top=y1).split())
    finally:
        doc.close()


def png_of(pdf: bytes, page_ix: int, path: str) -> None:
    doc = pdfium.PdfDocument(pdf)
    try:
        doc.init_forms()  # pdfium draws widget appearances only with the form environment
        doc[page_ix].render(scale=1.5, may_draw_forms=True).to_pil().save(path)
    finally:
        doc.close()


@pytest.mark.parametrize(
    "tz, shown", [("Asia/Ho_Chi_Minh", "17:45, 03/12/2026"), ("Europe/Paris", "11:45, 03/12/2026")]
)
def test_both_blocks_show_the_signature_and_both_validate(
    db: Database, settings: Settings, tz: str, shown: str
) -> None:
    s = scripted_meeting(db)
    c = s.cabinet
    signer_keys(settings.data_dir, c)
    call(db, services.finalise, actor=c.staff, meeting_id=s.meeting_id, tz=tz)
    final = db.run_read(services.get_pdf, actor=c.staff, meeting_id=s.meeting_id).data
    rects = widget_rects(final)
    assert set(rects) == set(FIELDS)
    for name in FIELDS:
        page, (x0, y0, x1, y1) = rects[name]
        assert x1 - x0 > 150 and y1 - y0 > 50  # a real box, not the zero rectangle of an invisible signature
        assert text_in(final, page, rects[name][1]) == ""  # empty until signed
    (_, left), (_, right) = rects["ThuKy"], rects["ChuToa"]
    assert left[2] <= right[0]  # THƯ KÝ on the left, CHỦ TỌA on the right, side by side
    signed = sign_both(db, settings.data_dir, c, tz)
    for name, who in (("ThuKy", c.secretary), ("ChuToa", c.chair)):
        page, rect = rects[name]
        text = text_in(signed, page, rect)
        assert "Đã ký số" in text and who.full_name in text and "Bộ trưởng" in text and shown in text, text
    block = text_in(signed, rects["ThuKy"][0], (rects["ThuKy"][1][0], 0, rects["ChuToa"][1][2], 842), flatten=False)
    assert "THƯ KÝ" in block and "CHỦ TỌA" in block  # the stamps sit in the blocks under their headings
    report = verify_pdf(signed, KeyStore.for_data_dir(settings.data_dir).trusted_roots())
    assert report.verdict == "valid" and [x.field_name for x in report.signatures] == list(FIELDS)
    png_of(signed, rects["ChuToa"][0], f"/tmp/ecabinet-record-signed-{tz.replace('/', '-')}.png")
