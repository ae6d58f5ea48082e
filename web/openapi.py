"""The OpenAPI 3.1 document of the REST API, built from the same schemas the routes validate with.

Each routes module lists its operations in `OPENAPI` (see `Op`); app/domains.py gathers them, app/factory.py
serves them (`endpoint`), and a test fails when a route is missing from the document.
tests/test_fuzz_openapi.py runs schemathesis against it on the real server, so a documented status, body
or answer that the server does not keep is a failing test.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, NamedTuple

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode
from starlette.requests import Request
from starlette.responses import Response

from web.http import MAX_DEPTH, MAX_JSON_BYTES, ok
from core.types import MAX_ID


class Op(NamedTuple):
    method: str
    path: str  # OpenAPI style: /api/meetings/{meeting_id}
    summary: str
    body: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None
    many: bool = False
    content_type: str = "application/json"  # of the request body (multipart/form-data for uploads)
    status: int | None = None  # success status; default 204 for delete, else 200
    query: tuple[str, ...] = ()  # optional query parameters (schemas in QUERY)
    public: bool = False  # no login needed
    media: str | None = None  # a file answer (application/pdf, image/png...) instead of JSON
    errors: tuple[int, ...] = ()  # statuses beyond the usual ones (_ERRORS): 410 for a used or expired link


HEALTH = [
    Op(
        "get",
        "/healthz",
        "Kiểm tra hoạt động (503 khi máy chủ đang dừng hoặc mất kết nối cơ sở dữ liệu/Redis)",
        public=True,
    ),
    Op("get", "/api/openapi.json", "Tài liệu OpenAPI này", public=True),
]

_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
QUERY: dict[str, dict[str, Any]] = {
    "version": _ID,
    "page": _ID,
    "before_id": _ID,
    "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
    "offset": {"type": "integer", "minimum": 0, "maximum": 1000},
    "q": {"type": "string", "maxLength": 200},
    "size": {"type": "string", "enum": ["tablet", "zoom", "thumb"]},
    "draft": {"type": "string", "enum": ["0", "1"]},
    "download": {"type": "string", "enum": ["0", "1"]},
    "year": {"type": "integer", "minimum": 1900, "maximum": 2199},
    "unread": {"type": "string", "enum": ["true", "false"]},
    "state": {"type": "string", "enum": ["open", "done", "late"]},
    "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},  # a poll report's content digest (polls/routes.py)
}
_ERRORS = {
    400: "Nội dung không đọc được (JSON hỏng, NaN, biểu mẫu hỏng)",
    401: "Chưa đăng nhập",
    403: "Không có quyền, hoặc thiếu mã CSRF",
    404: "Không tìm thấy (hoặc không được xem)",
    409: "Trạng thái không cho phép thao tác",
    410: "Đã dùng, đã hủy hoặc đã hết hạn (liên kết xác nhận)",
    413: "Dữ liệu quá lớn",
    415: "Kiểu nội dung không được hỗ trợ",
    422: "Dữ liệu không hợp lệ; details: [{field, message, type}]",
    429: "Quá nhiều yêu cầu",
    503: "Máy chủ đang bận (quá nhiều kết nối, hàng đợi đầy); thử lại sau Retry-After",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_responses(op: Op) -> dict[str, Any]:
    # Public operations too: login answers 401/403, others 404 on an unknown id; any may meet a busy server (503:
    # web/slow_clients.py past the connection cap, documents/admission.py with a full queue).
    codes = {401, 403, 404, 409, 422, 429, 503, *op.errors}
    if op.body is not None or op.method in ("post", "put", "patch"):
        codes |= {400, 413, 415}
    content = {"application/json": {"schema": _ref("Error")}}
    return {str(code): {"description": _ERRORS[code], "content": content} for code in sorted(codes)}


def _success(op: Op) -> tuple[str, dict[str, Any]]:
    status = op.status or (204 if op.method == "delete" else 200)
    if status == 204:
        return "204", {"description": "Đã thực hiện"}
    if op.media:
        return str(status), {
            "description": "Tệp",
            "content": {op.media: {"schema": {"type": "string", "format": "binary"}}},
        }
    if op.answer is None:
        return str(status), {"description": "OK", "content": {"application/json": {"schema": {}}}}
    schema = {"type": "array", "items": _ref(op.answer.__name__)} if op.many else _ref(op.answer.__name__)
    return str(status), {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _request_body(op: Op, body: type[BaseModel]) -> dict[str, Any]:
    schema: dict[str, Any] = _ref(body.__name__)
    if op.content_type == "multipart/form-data" and "file" not in body.model_fields:  # the form's fields + its file
        schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schema["properties"] = {"file": {"type": "string", "format": "binary"}, **schema["properties"]}
        schema["required"] = ["file", *schema.get("required", [])]
    return {"required": True, "content": {op.content_type: {"schema": schema}}}


def _parameters(op: Op) -> list[dict[str, Any]]:
    params = []
    for name in (p.strip("{}") for p in op.path.split("/") if p.startswith("{")):
        schema = _ID if name.endswith("_id") or name == "page" else {"type": "string", "minLength": 1, "maxLength": 200}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    params += [{"name": q, "in": "query", "required": False, "schema": QUERY[q]} for q in op.query]
    return params


def _operation(op: Op) -> dict[str, Any]:
    status, success = _success(op)
    entry: dict[str, Any] = {"summary": op.summary, "responses": {status: success, **_error_responses(op)}}
    if op.body is not None:
        entry["requestBody"] = _request_body(op, op.body)
    if params := _parameters(op):
        entry["parameters"] = params
    if not op.public:
        entry["security"] = [{"session": [], "csrf": []}] if op.method != "get" else [{"session": []}]
    return entry


def _error_schema() -> dict[str, Any]:
    detail = {
        "type": "object",
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
    }
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"anyOf": [{"type": "array", "items": detail}, {"type": "object"}]},
                },
            }
        },
    }


def document(operations: list[Op]) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": _error_schema()}
    owners: dict[str, type] = {}  # schema name -> its class: two classes of one name would share one schema
    for op in operations:
        modes: tuple[tuple[type[BaseModel] | None, JsonSchemaMode], ...] = (
            (op.body, "validation"),
            (op.answer, "serialization"),
        )
        for model, mode in modes:
            if model is not None:
                if owners.setdefault(model.__name__, model) is not model:
                    other = owners[model.__name__]
                    raise ValueError(
                        f"two API schemas named {model.__name__}: {other.__module__} and {model.__module__}"
                    )
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
                components.update(schema.pop("$defs", {}))
                components[model.__name__] = schema
    paths: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    description = (
        f"Hệ thống họp không giấy của Chính phủ. Thân yêu cầu JSON tối đa {MAX_JSON_BYTES // 1000} kB, "
        f"lồng tối đa {MAX_DEPTH} cấp; mã số (id) là số nguyên 1..2^63-1."
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "e-Cabinet API", "version": "1", "description": description},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "ecabinet_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }


def endpoint(operations: Callable[[], list[Op]]) -> Callable[[Request], Awaitable[Response]]:
    """GET /api/openapi.json: the document of `operations` (app/domains.py's list: the composition root knows
    every domain)."""

    async def openapi_json(request: Request) -> Response:
        return ok(document(operations()))

    return openapi_json
