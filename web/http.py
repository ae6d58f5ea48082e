"""The HTTP edge: JSON answers, body parsing into schemas (422 with field errors), the error envelope.

Every request body, query string and path parameter is parsed here, so all of them refuse the same way:
oversize body 413, a body that is not JSON 415, malformed JSON (or NaN, Infinity, nesting deeper than
MAX_DEPTH) 400, a value outside its type (core/types.py) 422 naming the field.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from web.i18n import request_lang
from web.messages.validation import field_message
from core import strict_json
from core.errors import BadRequest, DomainError, TooLarge, UnsupportedMediaType, ValidationFailed
from core.i18n import N_, Msg, localize, translate
from core.types import MAX_ID, path_text_problem

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger("ecabinet.http")

MAX_JSON_BYTES = 1_000_000
MAX_DEPTH = 32  # no request shape nests deeper than ~6; a deep one only costs recursion


class JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ok(data: Any, status: int = 200) -> Response:
    if status == 204:
        return Response(status_code=204)
    return JSON(data, status_code=status)


def field_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [
        {
            "field": prefix + (".".join(str(p) for p in err["loc"]) or "body"),
            "message": field_message(err),
            "type": err["type"],
        }
        for err in exc.errors(include_url=False)
    ]


def invalid(details: list[dict[str, str]]) -> ValidationFailed:
    first = details[0]["field"] if details else "body"
    return ValidationFailed("Dữ liệu gửi lên không hợp lệ (trường “{first}”).", first=first, details=details)


def validate(model: type[M], payload: Any, prefix: str = "") -> M:
    """REST bodies, query strings and socket payloads: the schema's value or a 422 naming the field."""
    if _too_deep(payload):
        raise invalid(
            [
                {
                    "field": "body",
                    "message": Msg("Dữ liệu lồng quá {max_depth} cấp.", max_depth=MAX_DEPTH),
                    "type": "too_deep",
                }
            ]
        )
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise invalid(field_errors(exc, prefix)) from None
    except RecursionError:
        raise invalid([{"field": "body", "message": N_("Dữ liệu lồng quá sâu."), "type": "too_deep"}]) from None


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _utf8_charset(content_type: str) -> bool:
    """JSON is UTF-8 (RFC 8259 8.1): a body declared in another charset would be read as something else than
    what a proxy in front decoded."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _is_json(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


async def read_body(request: Request, limit: int = MAX_JSON_BYTES) -> bytes:
    """The body, refused (413) as soon as it passes `limit`: a huge body is never held whole in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge("Dữ liệu gửi lên quá lớn (tối đa {limit} kB).", limit=limit // 1000)
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise TooLarge("Dữ liệu gửi lên quá lớn (tối đa {limit} kB).", limit=limit // 1000)
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_body(request: Request, model: type[M]) -> M:
    raw = await read_body(request)
    if not raw.strip():
        return validate(model, {})
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        raise UnsupportedMediaType("Hãy gửi dữ liệu dạng JSON (Content-Type: application/json).")
    if not _utf8_charset(content_type):
        raise UnsupportedMediaType("Dữ liệu JSON phải được mã hóa UTF-8 (charset=utf-8).")
    try:
        payload = strict_json.loads(raw)  # NaN / Infinity are not JSON; a key given twice has no one meaning
    except strict_json.DuplicateKey as exc:
        message = Msg("Khóa “{key}” xuất hiện hai lần trong cùng một đối tượng JSON.", key=exc.key[:100])
        raise BadRequest(message, details=[{"field": "body", "message": message}]) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest(
            "Nội dung không phải JSON hợp lệ.",
            details=[{"field": "body", "message": N_("Nội dung không phải JSON hợp lệ.")}],
        ) from None
    return validate(model, payload)


def parse_query(request: Request, model: type[M]) -> M:
    """The query string as `model` (fields typed QueryId / QueryInt / Line); unknown parameters are ignored."""
    known = {k: v for k, v in request.query_params.items() if k in model.model_fields}
    return validate(model, known, prefix="query.")


def query_id(request: Request, name: str) -> int | None:
    """An optional id (or page/version number) in the query string: None when absent or empty, else 1..2^63-1."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 1 <= int(raw) <= MAX_ID):
        raise invalid(
            [
                {
                    "field": f"query.{name}",
                    "message": Msg("Phải là số nguyên từ 1 đến {max_id}.", max_id=MAX_ID),
                    "type": "out_of_range",
                }
            ]
        )
    return int(raw)


def query_text(request: Request, name: str, max_length: int = 200) -> str:
    """A short one-line text in the query string ('' when absent)."""
    raw = request.query_params.get(name, "")
    problem = (
        Msg("Tối đa {max_length} ký tự.", max_length=max_length) if len(raw) > max_length else path_text_problem(raw)
    )
    if problem:
        raise invalid([{"field": f"query.{name}", "message": problem, "type": "value_error"}])
    return raw


def _check_path(params: dict[str, Any]) -> None:
    for name, value in params.items():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            message = Msg("Phải là số nguyên từ 1 đến {max_id}.", max_id=MAX_ID)
            raise invalid([{"field": f"path.{name}", "message": message, "type": "out_of_range"}])
        if isinstance(value, str) and (problem := path_text_problem(value)):
            raise invalid([{"field": f"path.{name}", "message": problem, "type": "value_error"}])


def guard_paths(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Wrap every route so that its path parameters are checked before its endpoint runs: an id outside
    1..2^63-1 answers 422 for every route present and future, instead of overflowing in the database."""
    for route in routes:
        if isinstance(route, Route) and not getattr(route.app, "guarded", False):  # module-level routes: wrap once
            inner = route.app

            async def checked(scope: Any, receive: Any, send: Any, inner: Any = inner) -> None:
                _check_path(scope.get("path_params", {}))
                await inner(scope, receive, send)

            checked.guarded = True  # type: ignore[attr-defined]
            route.app = checked
    return routes


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSON({"error": body}, status_code=status)


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSON({"error": exc.to_dict(request_lang(request))}, status_code=exc.status, headers=headers)


_HTTP_CODES = {
    404: ("not_found", N_("Không tìm thấy.")),
    405: ("method_not_allowed", N_("Phương thức không được hỗ trợ.")),
}


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    return error_response(exc.status_code, code, localize(message, request_lang(request)))


async def on_client_gone(request: Request, exc: Exception) -> Response:
    """The client went away before its body had all arrived (a dropped tablet, a closed tab): nothing went wrong
    here, and nobody will read the answer. One quiet line, not a 500 with its traceback."""
    log.info("client closed the connection during %s %s", request.method, request.url.path)
    return error_response(
        400,
        "client_disconnected",
        translate("Kết nối bị ngắt trước khi gửi hết dữ liệu; thao tác chưa được thực hiện.", request_lang(request)),
    )


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500,
        "internal_error",
        translate("Lỗi hệ thống; thao tác chưa được thực hiện. Vui lòng thử lại.", request_lang(request)),
    )
