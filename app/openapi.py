"""The OpenAPI 3.1 document of the REST API, built from the same schemas the routes validate with.

Each routes module lists its operations in `OPENAPI` (see `Op`); app/domains.py gathers them, and a test
fails when a route is missing from the document.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from app.http import ok


class Op(NamedTuple):
    method: str
    path: str  # OpenAPI style: /api/meetings/{meeting_id}
    summary: str
    body: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None
    many: bool = False
    content_type: str = "application/json"  # of the request body (multipart/form-data for uploads)


HEALTH = [Op("get", "/healthz", "Kiểm tra hoạt động"), Op("get", "/api/openapi.json", "Tài liệu OpenAPI này")]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def document(operations: list[Op]) -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}},
        }
    }  # fmt: skip
    models = {m for op in operations for m in (op.body, op.answer) if m is not None}
    for model in sorted(models, key=lambda m: m.__name__):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    paths: dict[str, Any] = {}
    for op in operations:
        entry: dict[str, Any] = {"summary": op.summary, "responses": {
            "default": {"description": "Lỗi", "content": {"application/json": {"schema": _ref("Error")}}}}}  # fmt: skip
        if op.answer is not None:
            schema = {"type": "array", "items": _ref(op.answer.__name__)} if op.many else _ref(op.answer.__name__)
            entry["responses"]["200"] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
        else:
            entry["responses"]["200"] = {"description": "OK"}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {op.content_type: {"schema": _ref(op.body.__name__)}}}
        params = [p.strip("{}") for p in op.path.split("/") if p.startswith("{")]
        if params:
            entry["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in params]
        if op.method != "get" and op.path != "/api/auth/login":
            entry["security"] = [{"session": [], "csrf": []}]
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "e-Cabinet API", "version": "1", "description": "Hệ thống họp không giấy của Chính phủ"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "ecabinet_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }


async def endpoint(request: Request) -> Response:
    from app.domains import openapi_operations  # the composition root knows every domain

    return ok(document(openapi_operations()))
