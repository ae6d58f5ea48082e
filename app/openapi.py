"""The OpenAPI 3.1 document of the REST API, built from the same schemas the routes validate with."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from accounts.schemas import LoginRequest, UserCreate, UserPublic
from app.http import ok
from meetings.schemas import (
    AgendaItemCreate,
    AgendaItemPublic,
    AgendaItemUpdate,
    CheckInRequest,
    MeetingCreate,
    MeetingPublic,
    MeetingUpdate,
    ParticipantCreate,
    ParticipantPublic,
    ParticipantUpdate,
    Quorum,
    ReorderRequest,
)

SCHEMAS: list[type[BaseModel]] = [
    LoginRequest, UserCreate, UserPublic, MeetingCreate, MeetingUpdate, MeetingPublic, AgendaItemCreate,
    AgendaItemUpdate, AgendaItemPublic, ReorderRequest, ParticipantCreate, ParticipantUpdate, ParticipantPublic,
    CheckInRequest, Quorum,
]  # fmt: skip

M = "/api/meetings/{meeting_id}"
I = M + "/agenda/{item_id}"
U = M + "/participants/{user_id}"
# (method, path, summary, request schema, response schema, list?)
OPERATIONS: list[tuple[str, str, str, str | None, str | None, bool]] = [
    ("post", "/api/auth/login", "Đăng nhập; đặt cookie phiên và trả mã CSRF", "LoginRequest", None, False),
    ("post", "/api/auth/logout", "Đăng xuất", None, None, False),
    ("get", "/api/me", "Người dùng hiện tại", None, "UserPublic", False),
    ("get", "/api/users", "Danh bạ tài khoản (Văn phòng, quản trị)", None, "UserPublic", True),
    ("post", "/api/users", "Tạo tài khoản (quản trị)", "UserCreate", "UserPublic", False),
    ("get", "/api/meetings", "Các cuộc họp người dùng được xem", None, "MeetingPublic", True),
    ("post", "/api/meetings", "Tạo cuộc họp (Văn phòng)", "MeetingCreate", "MeetingPublic", False),
    ("get", M, "Chi tiết cuộc họp", None, "MeetingPublic", False),
    ("patch", M, "Sửa cuộc họp", "MeetingUpdate", "MeetingPublic", False),
    ("get", M + "/snapshot", "Trạng thái trực tiếp đầy đủ và seq", None, None, False),
    ("post", M + "/publish", "Phát hành cuộc họp", None, "MeetingPublic", False),
    ("post", M + "/start", "Bắt đầu họp", None, "MeetingPublic", False),
    ("post", M + "/end", "Kết thúc họp", None, "MeetingPublic", False),
    ("post", M + "/next", "Chuyển sang nội dung tiếp theo", None, "MeetingPublic", False),
    ("post", M + "/previous", "Quay lại nội dung trước", None, "MeetingPublic", False),
    ("get", M + "/agenda", "Chương trình họp", None, "AgendaItemPublic", True),
    ("post", M + "/agenda", "Thêm nội dung", "AgendaItemCreate", "AgendaItemPublic", False),
    ("post", M + "/agenda/reorder", "Sắp xếp lại chương trình", "ReorderRequest", "AgendaItemPublic", True),
    ("patch", I, "Sửa nội dung", "AgendaItemUpdate", "AgendaItemPublic", False),
    ("delete", I, "Xóa nội dung", None, None, False),
    ("post", I + "/activate", "Chuyển đến nội dung", None, "MeetingPublic", False),
    ("get", M + "/participants", "Thành phần dự họp", None, "ParticipantPublic", True),
    ("post", M + "/participants", "Mời dự họp", "ParticipantCreate", "ParticipantPublic", False),
    ("patch", U, "Đổi vai trò / sửa điểm danh", "ParticipantUpdate", "ParticipantPublic", False),
    ("delete", U, "Bớt thành phần", None, None, False),
    ("post", M + "/attendance/check-in", "Tự điểm danh", "CheckInRequest", "ParticipantPublic", False),
    ("get", "/healthz", "Kiểm tra hoạt động", None, None, False),
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def document() -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}},
        }
    }  # fmt: skip
    for model in SCHEMAS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    paths: dict[str, Any] = {}
    for method, path, summary, body, answer, many in OPERATIONS:
        op: dict[str, Any] = {"summary": summary, "responses": {
            "default": {"description": "Lỗi", "content": {"application/json": {"schema": _ref("Error")}}}}}
        if answer:
            schema = {"type": "array", "items": _ref(answer)} if many else _ref(answer)
            op["responses"]["200"] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
        else:
            op["responses"]["200"] = {"description": "OK"}
        if body:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
        params = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
        if params:
            op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in params]
        if method != "get" and path != "/api/auth/login":
            op["security"] = [{"session": [], "csrf": []}]
        paths.setdefault(path, {})[method] = op
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
    return ok(document())
