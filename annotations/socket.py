"""Annotation and presenter socket events (thin: the same services as the REST routes, acks alike).

    annotation:create {document_id, page, kind, data, text?, version?}   annotation:update {annotation_id, data?, text?}
    annotation:delete {annotation_id}                   -> `annotation` to the author's sockets (annotations/live.py)
    presenter:start {meeting_id, document_id, page}   presenter:page {meeting_id, page}   presenter:stop {meeting_id}
    presenter:ink {meeting_id, page, kind?, data}                         -> meeting events presenter.* (with seq)
    presenter:pointer {meeting_id, x, y}                                  -> `pointer` to the room (no seq, not stored)

The pointer does not go through SocketActions.action: it is meant to flow at up to POINTER_RATE per second,
which would drain the socket's general bucket and starve real actions. It has its own per-socket bucket;
floods are dropped (the ack, when asked for, says rate_limited) and the connection stays. Its permission
check (the sender may present and something is presented) is cached per socket for POINTER_CHECK_TTL s.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from accounts.actor import Actor
from annotations import presenter, services
from annotations.schemas import AnnotationRef, PresenterInk, PresenterPage, PresenterPointer, PresenterStart, SocketCreate, SocketUpdate
from app.http import validate
from app.ratelimit import TokenBucket
from core.errors import DomainError, Forbidden, RateLimited, Unauthenticated
from core.i18n import translate
from realtime.actions import INTERNAL, SocketActions
from realtime.broadcast import room
from realtime.payloads import MeetingRef

log = logging.getLogger("ecabinet.realtime")
POINTER_RATE = 30.0
POINTER_CHECK_TTL = 1.0


def register(actions: SocketActions) -> None:
    ctx, sio = actions.ctx, actions.sio
    buckets: dict[str, TokenBucket] = {}
    checks: dict[tuple[str, int], tuple[float, dict[str, Any]]] = {}

    async def create(sid: str, actor: Actor, p: SocketCreate) -> Any:
        return await ctx.write(services.create_annotation, actor=actor, document_id=p.document_id, data=p)

    async def update(sid: str, actor: Actor, p: SocketUpdate) -> Any:
        return await ctx.write(services.update_annotation, actor=actor, annotation_id=p.annotation_id, data=p)

    async def delete(sid: str, actor: Actor, p: AnnotationRef) -> Any:
        return await ctx.write(services.delete_annotation, actor=actor, annotation_id=p.annotation_id)

    async def start(sid: str, actor: Actor, p: PresenterStart) -> Any:
        return await ctx.write(presenter.start, actor=actor, meeting_id=p.meeting_id, document_id=p.document_id, page=p.page)

    async def page(sid: str, actor: Actor, p: PresenterPage) -> Any:
        return await ctx.write(presenter.set_page, actor=actor, meeting_id=p.meeting_id, page=p.page)

    async def stop(sid: str, actor: Actor, p: MeetingRef) -> Any:
        return await ctx.write(presenter.stop, actor=actor, meeting_id=p.meeting_id)

    async def ink(sid: str, actor: Actor, p: PresenterInk) -> Any:
        return await ctx.write(presenter.add_ink, actor=actor, meeting_id=p.meeting_id, page=p.page, kind=p.kind, data=p.data)

    async def target(sid: str, actor: Actor, meeting_id: int) -> dict[str, Any]:
        now = time.monotonic()
        cached = checks.get((sid, meeting_id))
        if cached and cached[0] > now:
            return cached[1]
        found = await ctx.read(presenter.pointer_target, actor=actor, meeting_id=meeting_id)
        checks[(sid, meeting_id)] = (now + POINTER_CHECK_TTL, found)
        return found

    def prune() -> None:
        if len(buckets) > 2 * len(actions.actors) + 16:
            for key in [k for k in buckets if k not in actions.actors]:
                buckets.pop(key, None)
            for key in [k for k in checks if k[0] not in actions.actors]:
                checks.pop(key, None)

    async def pointer(sid: str, data: Any = None) -> dict[str, Any]:
        try:
            actor = actions.actors.get(sid)
            if actor is None:
                raise Unauthenticated("Phiên kết nối chưa xác thực.")
            if actor.is_display:
                raise Forbidden("Màn hình phòng họp chỉ hiển thị; không được thực hiện thao tác này.")
            bucket = buckets.get(sid)
            if bucket is None:
                prune()
                bucket = buckets[sid] = TokenBucket(POINTER_RATE, burst=POINTER_RATE)
            if not bucket.take():
                raise RateLimited("Con trỏ gửi quá nhanh; bớt các vị trí thừa.")
            p = validate(PresenterPointer, data)
            if not actions.in_meeting(sid, p.meeting_id):
                raise Forbidden("Hãy vào phòng họp {meeting_id} (meeting:join) trước khi dùng con trỏ.",
                                meeting_id=p.meeting_id)
            where = await target(sid, actor, p.meeting_id)
            await sio.emit("pointer", {"meeting_id": p.meeting_id, "x": p.x, "y": p.y, "user_id": actor.id, **where},
                           room=room(p.meeting_id), skip_sid=sid)  # fmt: skip
            return {"ok": True, "data": None}
        except DomainError as exc:
            return {"ok": False, "error": exc.to_dict(actions.lang(sid))}
        except Exception:
            log.exception("socket event presenter:pointer failed")
            return {"ok": False, "error": {"code": "internal_error", "message": translate(INTERNAL, actions.lang(sid))}}

    actions.action("annotation:create", SocketCreate, create)
    actions.action("annotation:update", SocketUpdate, update)
    actions.action("annotation:delete", AnnotationRef, delete)
    actions.action("presenter:start", PresenterStart, start)
    actions.action("presenter:page", PresenterPage, page)
    actions.action("presenter:stop", MeetingRef, stop)
    actions.action("presenter:ink", PresenterInk, ink)
    pointer.payload_model = PresenterPointer  # type: ignore[attr-defined]  # for the payload fuzz test
    sio.on("presenter:pointer", pointer)
