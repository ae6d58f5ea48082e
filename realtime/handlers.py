"""Socket event handlers: thin. Parse the payload, call the same service as the REST route, ack.

Acks are {"ok": true, "data": ...} or {"ok": false, "error": {"code", "message"}}; a bad payload gets an
error ack and never costs the connection.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

import socketio
from pydantic import BaseModel

from accounts.actor import Actor
from app.auth import cookie_from_header, resolve_token
from app.context import AppContext
from app.http import validate
from app.ratelimit import TokenBucket
from core.errors import DomainError, RateLimited, Unauthenticated
from meetings import participation, services
from meetings.schemas import CheckInRequest
from realtime.broadcast import room
from realtime.payloads import CheckIn, ItemRef, MeetingRef, SyncRequest
from realtime.presence import Presence

log = logging.getLogger("ecabinet.realtime")
Handler = Callable[[str, Actor, Any], Awaitable[Any]]


def register(sio: socketio.AsyncServer, ctx: AppContext) -> None:
    actors: dict[str, Actor] = {}
    buckets: dict[str, TokenBucket] = {}
    joined: dict[str, set[int]] = {}
    presence = Presence()
    rate = ctx.settings.socket_rate_per_second

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        found = await resolve_token(ctx, cookie_from_header(environ.get("HTTP_COOKIE")))
        if found is None:
            raise socketio.exceptions.ConnectionRefusedError({"code": "unauthenticated", "message": "Vui lòng đăng nhập."})
        actors[sid] = found[0]
        buckets[sid] = TokenBucket(rate, burst=rate * 2)
        joined[sid] = set()
        return True

    async def disconnect(sid: str, *args: Any) -> None:
        actor = actors.pop(sid, None)
        buckets.pop(sid, None)
        for meeting_id in joined.pop(sid, set()):
            if actor and presence.remove(meeting_id, actor.id, sid):
                await _presence_changed(meeting_id)

    async def _presence_changed(meeting_id: int) -> None:
        await sio.emit("presence", {"meeting_id": meeting_id, "online": presence.online(meeting_id)}, room=room(meeting_id))

    def action(name: str, model: type[BaseModel] | None, fn: Handler) -> None:
        async def handler(sid: str, data: Any = None) -> dict[str, Any]:
            try:
                actor = actors.get(sid)
                if actor is None:
                    raise Unauthenticated("Phiên kết nối chưa xác thực.")
                if not buckets[sid].take():
                    raise RateLimited("Gửi quá nhiều yêu cầu; vui lòng chậm lại.")
                payload = validate(model, data) if model is not None else data
                return {"ok": True, "data": await fn(sid, actor, payload)}
            except DomainError as exc:
                return {"ok": False, "error": exc.to_dict()}
            except Exception:
                log.exception("socket event %s failed", name)
                return {"ok": False, "error": {"code": "internal_error", "message": "Lỗi hệ thống; vui lòng thử lại."}}

        sio.on(name, handler)

    async def join(sid: str, actor: Actor, p: MeetingRef) -> Any:
        # Enter the room before reading the snapshot: an event committed in between arrives with a higher
        # seq than the snapshot and the client applies it; none is lost.
        await sio.enter_room(sid, room(p.meeting_id))
        try:
            result = await ctx.read(services.join, actor=actor, meeting_id=p.meeting_id)
        except DomainError:
            await sio.leave_room(sid, room(p.meeting_id))
            raise
        joined[sid].add(p.meeting_id)
        if presence.add(p.meeting_id, actor.id, sid):
            await _presence_changed(p.meeting_id)
        result["online"] = presence.online(p.meeting_id)
        return result

    async def leave(sid: str, actor: Actor, p: MeetingRef) -> Any:
        await sio.leave_room(sid, room(p.meeting_id))
        joined[sid].discard(p.meeting_id)
        if presence.remove(p.meeting_id, actor.id, sid):
            await _presence_changed(p.meeting_id)
        return None

    async def sync(sid: str, actor: Actor, p: SyncRequest) -> Any:
        limit = ctx.settings.sync_max_events
        return await ctx.read(services.sync, actor=actor, meeting_id=p.meeting_id, since=p.since, limit=limit)

    def conduct(fn: Callable[..., Any], **fixed: Any) -> Handler:
        async def run(sid: str, actor: Actor, p: MeetingRef) -> Any:
            return await ctx.write(fn, actor=actor, meeting_id=p.meeting_id, **fixed)

        return run

    async def activate(sid: str, actor: Actor, p: ItemRef) -> Any:
        return await ctx.write(services.activate_item, actor=actor, meeting_id=p.meeting_id, item_id=p.item_id)

    async def check_in(sid: str, actor: Actor, p: CheckIn) -> Any:
        data = CheckInRequest(attendance=p.attendance)
        return await ctx.write(participation.check_in, actor=actor, meeting_id=p.meeting_id, data=data)

    sio.on("connect", connect)
    sio.on("disconnect", disconnect)
    action("meeting:join", MeetingRef, join)
    action("meeting:leave", MeetingRef, leave)
    action("meeting:sync", SyncRequest, sync)
    action("meeting:start", MeetingRef, conduct(services.start_meeting))
    action("meeting:end", MeetingRef, conduct(services.end_meeting))
    action("agenda:next", MeetingRef, conduct(services.step_item, direction=1))
    action("agenda:previous", MeetingRef, conduct(services.step_item, direction=-1))
    action("agenda:activate", ItemRef, activate)
    action("attendance:check_in", CheckIn, check_in)
