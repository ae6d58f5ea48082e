"""Multipart forms parsed with Starlette's parser, its failures answered in our own words: the parser's
English text names no field a user knows and is not translated, so it goes to the log only and the user
reads one clear message per kind of failure (in their language, through the catalogue)."""

from __future__ import annotations

import logging
from typing import AsyncGenerator

from starlette.datastructures import FormData, Headers
from starlette.formparsers import MultiPartException, MultiPartParser

from python_multipart.multipart import DEFAULT_MAX_HEADER_COUNT, DEFAULT_MAX_HEADER_SIZE

from core.errors import BadRequest, DomainError, TooLarge

log = logging.getLogger(__name__)
# python-multipart's limits on a part's header lines (its defaults, which Starlette does not change): a header
# longer than HEADER_BYTES is in practice a file name of thousands of characters; we keep MAX_FILENAME of it.
HEADER_BYTES = DEFAULT_MAX_HEADER_SIZE
HEADER_COUNT = DEFAULT_MAX_HEADER_COUNT
MAX_FILENAME = 200  # core.types.clean_filename


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
    cause = str(exc.__cause__ or "")  # Starlette wraps python-multipart's own error, which names the limit
    if cause.startswith("Maximum header size"):
        return BadRequest(
            "Dữ liệu tải lên không hợp lệ: tiêu đề của một phần biểu mẫu quá dài (thường do tên tệp quá dài; "
            "hãy đặt tên tệp ngắn hơn, tối đa {max_length} ký tự).",
            max_length=MAX_FILENAME,
            details={"reason": "part_header_too_large", "max_bytes": HEADER_BYTES},
        )
    if cause.startswith("Maximum header count"):
        return BadRequest(
            "Dữ liệu tải lên không hợp lệ: một phần của biểu mẫu có quá nhiều tiêu đề (tối đa {max_headers}).",
            max_headers=HEADER_COUNT,
            details={"reason": "too_many_part_headers", "max": HEADER_COUNT},
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
