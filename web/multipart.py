"""Multipart forms parsed with Starlette's parser, its failures answered in our own words: the parser's
English text names no field a user knows and is not translated, so it goes to the log only and the user
reads one clear message per kind of failure (in their language, through the catalogue)."""

from __future__ import annotations

import logging
from typing import AsyncGenerator

from starlette.datastructures import FormData, Headers
from starlette.formparsers import MultiPartException, MultiPartParser

from core.errors import BadRequest, DomainError, TooLarge

log = logging.getLogger(__name__)


def refusal(exc: MultiPartException, *, max_files: int, max_fields: int) -> DomainError:
    """Our error for one of the parser's failures (matched on the start of its text, the only thing it carries)."""
    text = exc.message
    if text.startswith(("Field exceeded", "Part exceeded")):
        return TooLarge("Một trường của biểu mẫu vượt quá dung lượng cho phép.", details={"reason": "part_too_large"})
    if text.startswith("Too many files"):
        return BadRequest(
            "Biểu mẫu gửi quá nhiều tệp (tối đa {max_files}).",
            max_files=max_files,
            details={"reason": "too_many_files", "max": max_files},
        )
    if text.startswith("Too many fields"):
        return BadRequest(
            "Biểu mẫu có quá nhiều trường (tối đa {max_fields}).",
            max_fields=max_fields,
            details={"reason": "too_many_fields", "max": max_fields},
        )
    if text.startswith("Missing boundary"):
        return BadRequest(
            "Dữ liệu tải lên không hợp lệ: tiêu đề Content-Type thiếu tham số boundary.",
            details={"reason": "missing_boundary"},
        )
    if "Content-Disposition" in text:
        return BadRequest(
            "Dữ liệu tải lên không hợp lệ: một phần của biểu mẫu không có tên trường.",
            details={"reason": "unnamed_part"},
        )
    return BadRequest(
        "Dữ liệu tải lên không hợp lệ: nội dung multipart bị hỏng hoặc không đầy đủ.", details={"reason": "malformed"}
    )


async def parse_form(
    headers: Headers, stream: AsyncGenerator[bytes, None], *, max_files: int, max_fields: int
) -> FormData:
    try:
        return await MultiPartParser(headers, stream, max_files=max_files, max_fields=max_fields).parse()
    except MultiPartException as exc:
        log.info("multipart form refused: %s", exc.message)
        raise refusal(exc, max_files=max_files, max_fields=max_fields) from None


__all__ = ["parse_form", "refusal"]
