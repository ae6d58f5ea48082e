"""/api/meetings/* (thin: parse, call a service, answer)."""

from __future__ import annotations

from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user, write_as_user
from web.http import ok, parse_body
from web.openapi import Op
from meetings import agenda, participation, services
from meetings.schemas import (
    AgendaItemCreate,
    AgendaItemPublic,
    AgendaItemUpdate,
    AttendanceChangePublic,
    CheckInRequest,
    MeetingCreate,
    MeetingPublic,
    MeetingUpdate,
    ParticipantCreate,
    ParticipantPublic,
    ParticipantUpdate,
    ReorderRequest,
    StartRequest,
)


def _ids(request: Request) -> dict[str, int]:
    p = request.path_params
    ids = {"meeting_id": p["meeting_id"]}
    if "item_id" in p:
        ids["item_id"] = p["item_id"]
    if "user_id" in p:
        ids["user_id"] = p["user_id"]
    return ids


def reader(fn: Callable[..., Any]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        actor = await require_user(request)
        return ok(await ctx_of(request).read(fn, actor=actor, **_ids(request)))

    return endpoint


def writer(
    fn: Callable[..., Any], body: type | None = None, status: int = 200, **fixed: Any
) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if body is None:  # nothing to parse: the session and the write in one worker-thread hop (the chair's tap)
            result = await write_as_user(request, fn, **_ids(request), **fixed)
            return ok(result, 204 if result is None else status)
        actor = await require_user(request)
        kwargs: dict[str, Any] = dict(fixed)
        if body is ReorderRequest:
            kwargs["item_ids"] = (await parse_body(request, ReorderRequest)).item_ids
        elif body is not None:
            kwargs["data"] = await parse_body(request, body)
        result = await ctx_of(request).write(fn, actor=actor, **_ids(request), **kwargs)
        return ok(result, 204 if result is None else status)

    return endpoint


async def list_meetings(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.list_meetings, actor=actor))


async def create_meeting(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, MeetingCreate)
    return ok(await ctx_of(request).write(services.create_meeting, actor=actor, data=data), 201)


async def start_meeting(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, StartRequest)
    mid = request.path_params["meeting_id"]
    return ok(await ctx_of(request).write(services.start_meeting, actor=actor, meeting_id=mid, force=body.force))


M = "/api/meetings/{meeting_id:int}"
routes = [
    Route("/api/meetings", list_meetings, methods=["GET"]),
    Route("/api/meetings", create_meeting, methods=["POST"]),
    Route(M, reader(services.get_meeting), methods=["GET"]),
    Route(M, writer(services.update_meeting, MeetingUpdate), methods=["PATCH"]),
    Route(M + "/snapshot", reader(services.join), methods=["GET"]),
    Route(M + "/publish", writer(services.publish_meeting), methods=["POST"]),
    Route(M + "/unpublish", writer(services.unpublish_meeting), methods=["POST"]),
    Route(M + "/start", start_meeting, methods=["POST"]),
    Route(M + "/end", writer(services.end_meeting), methods=["POST"]),
    Route(M + "/next", writer(services.step_item, direction=1), methods=["POST"]),
    Route(M + "/previous", writer(services.step_item, direction=-1), methods=["POST"]),
    Route(M + "/agenda", reader(agenda.list_agenda), methods=["GET"]),
    Route(M + "/agenda", writer(agenda.add_item, AgendaItemCreate, 201), methods=["POST"]),
    Route(M + "/agenda/reorder", writer(agenda.reorder, ReorderRequest), methods=["POST"]),
    Route(M + "/agenda/{item_id:int}", writer(agenda.update_item, AgendaItemUpdate), methods=["PATCH"]),
    Route(M + "/agenda/{item_id:int}", writer(agenda.delete_item), methods=["DELETE"]),
    Route(M + "/agenda/{item_id:int}/activate", writer(services.activate_item), methods=["POST"]),
    Route(M + "/participants", reader(participation.list_participants), methods=["GET"]),
    Route(M + "/participants", writer(participation.invite, ParticipantCreate, 201), methods=["POST"]),
    Route(M + "/participants/{user_id:int}", writer(participation.update, ParticipantUpdate), methods=["PATCH"]),
    Route(M + "/participants/{user_id:int}", writer(participation.remove), methods=["DELETE"]),
    Route(M + "/attendance/check-in", writer(participation.check_in, CheckInRequest), methods=["POST"]),
    Route(M + "/attendance/history", reader(participation.attendance_history), methods=["GET"]),
]

I = M.replace(":int", "") + "/agenda/{item_id}"
U = M.replace(":int", "") + "/participants/{user_id}"
P = M.replace(":int", "")
OPENAPI = [
    Op("get", "/api/meetings", "Các cuộc họp người dùng được xem", answer=MeetingPublic, many=True),
    Op("post", "/api/meetings", "Tạo cuộc họp (Văn phòng)", MeetingCreate, MeetingPublic, status=201),
    Op("get", P, "Chi tiết cuộc họp", answer=MeetingPublic),
    Op("patch", P, "Sửa cuộc họp", MeetingUpdate, MeetingPublic),
    Op("get", P + "/snapshot", "Trạng thái trực tiếp đầy đủ và seq (như meeting:join)"),
    Op("post", P + "/publish", "Phát hành cuộc họp", answer=MeetingPublic),
    Op("post", P + "/unpublish", "Đưa cuộc họp chưa bắt đầu về bản nháp", answer=MeetingPublic),
    Op(
        "post",
        P + "/start",
        "Bắt đầu họp (409 no_quorum khi chưa đủ số; gửi force=true để vẫn bắt đầu)",
        StartRequest,
        MeetingPublic,
    ),
    Op("post", P + "/end", "Kết thúc họp", answer=MeetingPublic),
    Op("post", P + "/next", "Chuyển sang nội dung tiếp theo", answer=MeetingPublic),
    Op("post", P + "/previous", "Quay lại nội dung trước", answer=MeetingPublic),
    Op("get", P + "/agenda", "Chương trình họp", answer=AgendaItemPublic, many=True),
    Op("post", P + "/agenda", "Thêm nội dung", AgendaItemCreate, AgendaItemPublic, status=201),
    Op("post", P + "/agenda/reorder", "Sắp xếp lại chương trình", ReorderRequest, AgendaItemPublic, many=True),
    Op("patch", I, "Sửa nội dung", AgendaItemUpdate, AgendaItemPublic),
    Op("delete", I, "Xóa nội dung"),
    Op("post", I + "/activate", "Chuyển đến nội dung", answer=MeetingPublic),
    Op("get", P + "/participants", "Thành phần dự họp", answer=ParticipantPublic, many=True),
    Op("post", P + "/participants", "Mời dự họp", ParticipantCreate, ParticipantPublic, status=201),
    Op("patch", U, "Đổi vai trò / sửa điểm danh", ParticipantUpdate, ParticipantPublic),
    Op("delete", U, "Bớt thành phần"),
    Op("post", P + "/attendance/check-in", "Tự điểm danh", CheckInRequest, ParticipantPublic),
    Op(
        "get",
        P + "/attendance/history",
        "Lịch sử điểm danh (ai, lúc nào, bằng cách nào)",
        answer=AttendanceChangePublic,
        many=True,
    ),
]
