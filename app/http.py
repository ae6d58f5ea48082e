"""The HTTP edge: JSON answers, body parsing into schemas (422 with field errors), the error envelope."""
from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.errors import DomainError, ValidationFailed

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger("ecabinet.http")

MAX_JSON_BYTES = 1_000_000


class JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ok(data: Any, status: int = 200) -> Response:
    if status == 204:
        return Response(status_code=204)
    return JSON(data, status_code=status)


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False)
    ]


def validate(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed("Dữ liệu gửi lên không hợp lệ.", details=field_errors(exc)) from None


async def parse_body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise ValidationFailed("Dữ liệu gửi lên quá lớn.")
    try:
        payload = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed("Nội dung không phải JSON hợp lệ.", details=[{"field": "body", "message": "invalid JSON"}]) from None
    return validate(model, payload)


def path_int(request: Request, name: str) -> int:
    value = request.path_params[name]
    if isinstance(value, int):
        return value
    raise ValidationFailed(f"Tham số {name} không hợp lệ.")


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSON({"error": body}, status_code=status)


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSON({"error": exc.to_dict()}, status_code=exc.status, headers=headers)


_HTTP_CODES = {404: ("not_found", "Không tìm thấy."), 405: ("method_not_allowed", "Phương thức không được hỗ trợ.")}


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    return error_response(exc.status_code, code, message)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Lỗi hệ thống; thao tác chưa được thực hiện. Vui lòng thử lại.")
