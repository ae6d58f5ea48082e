"""Test PDFs: real files made with reportlab (Vietnamese text in DejaVu Sans) and pikepdf (JavaScript,
encryption), plus an upload helper for the REST tests."""

from __future__ import annotations

import io
import zlib
from typing import Any

import httpx
import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from documents.watermark import FONT_PATH

_FONT = "DejaVuSans"


def make_pdf(pages: int = 3, *, heading: str = "Báo cáo dự toán ngân sách nhà nước năm 2027") -> bytes:
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONT, str(FONT_PATH)))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for n in range(1, pages + 1):
        c.setFont(_FONT, 18)
        c.drawString(72, 770, f"Trang {n}: {heading}")
        c.setFont(_FONT, 12)
        if n == 2:
            c.drawString(72, 740, "Tổng thu cân đối ngân sách nhà nước đạt 1.700 nghìn tỷ đồng.")
        else:
            c.drawString(72, 740, f"Nội dung thảo luận về đầu tư công, phần {n}.")
        for line in range(30):
            c.drawString(
                72, 700 - line * 18, f"Dòng {line + 1}: Chính phủ thống nhất đánh giá tình hình kinh tế - xã hội."
            )
        c.showPage()
    c.save()
    return out.getvalue()


def with_javascript(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        action = doc.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x');")))
        doc.Root.OpenAction = action
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def encrypted(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        out = io.BytesIO()
        doc.save(out, encryption=pikepdf.Encryption(user="mat-khau", owner="chu-so-huu", R=6))
        return out.getvalue()


def without_password(pdf: bytes) -> bytes:
    """Encrypted with an owner password only: opens without a password, yet still encrypted."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        out = io.BytesIO()
        doc.save(out, encryption=pikepdf.Encryption(user="", owner="chu-so-huu", R=6))
        return out.getvalue()


async def upload(
    http: httpx.AsyncClient, meeting_id: int, content: bytes, *, filename: str = "tai-lieu.pdf", **fields: Any
) -> httpx.Response:
    data: dict[str, Any] = {"title": fields.pop("title", "Tờ trình dự toán ngân sách")}
    for key, value in fields.items():
        if isinstance(value, bool):
            data[key] = "true" if value else "false"
        elif isinstance(value, list):
            data[key] = [str(v) for v in value]
        else:
            data[key] = str(value)
    return await http.post(
        f"/api/meetings/{meeting_id}/documents", data=data, files={"file": (filename, content, "application/pdf")}
    )


def scanlines(png: bytes) -> bytes:
    """A PNG's scanlines, through zlib (which checks the stream's Adler-32): two encodings of the same image
    (the compressor's choices may differ between runs) give the same scanlines."""
    pos, data = 8, b""
    while pos < len(png):
        size = int.from_bytes(png[pos : pos + 4], "big")
        if png[pos + 4 : pos + 8] == b"IDAT":
            data += png[pos + 8 : pos + 8 + size]
        pos += 12 + size
    return zlib.decompress(data)
