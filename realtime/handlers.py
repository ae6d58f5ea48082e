"""Meeting room socket events: thin. Parse the payload, call the same service as the REST route, ack.

Acks are {"ok": true, "data": ...} or {"ok": false, "error": {"code", "message"}}.
"""
from __future__ import annotations

from typing import Any, Callable

import socketio

from accounts.actor import Actor
from accounts.services import session_key
from app.auth import cookie_from_header, cookie_name, resolve_token
from app.context import AppContext
from core.errors import DomainError
from display import services as display_services
from meetings import participation, services
from meetings.schemas import CheckInRequest
from realtime.actions import Handler, SocketActions
from realtime.broadcast import room, user_room
from realtime.payloads import CheckIn, ItemRef, MeetingRef, SyncRequest
from realtime.presence import Presence


def register(sio: socketio.AsyncServer, ctx: AppContext) -> SocketActions:
    actions = SocketActions(sio, ctx)
    presence = Presence()

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        display_token = auth.get("display_token") if isinstance(auth, dict) else None
        if display_token is not None:  # the hall's room display: read-only, one meeting (display/)
            screen = await ctx.read(display_services.resolve_actor, token=str(display_token))
            if screen is None:
                message = "Mã màn hình không hợp lệ hoặc đã bị thu hồi."
                raise socketio.exceptions.ConnectionRefusedError({"code": "unauthenticated", "message": message})
            await sio.save_session(sid, {"display": screen.username})  # found again when the token is revoked
            actions.connected(sid, screen)
            return True
        token = cookie_from_header(environ.get("HTTP_COOKIE"), cookie_name(ctx.settings))
        found = await resolve_token(ctx, token)
        if found is None or token is None:
            raise socketio.exceptions.ConnectionRefusedError({"code": "unauthenticated", "message": "Vui lòng đăng nhập."})
        actions.connected(sid, found[0], session_key(token))
        await sio.enter_room(sid, user_room(found[0].id))  # the user's own sockets: private annotation events
        return True

    async def disconnect(sid: str, *args: Any) -> None:
        actor, meetings = actions.disconnected(sid)
        for meeting_id in meetings:
            if actor and presence.remove(meeting_id, actor.id, sid):
                await _presence_changed(meeting_id)

    async def _presence_changed(meeting_id: int) -> None:
        await sio.emit("presence", {"meeting_id": meeting_id, "online": presence.online(meeting_id)}, room=room(meeting_id))

    async def join(sid: str, actor: Actor, p: MeetingRef) -> Any:
        # Enter the room before reading the snapshot: an event committed in between arrives with a higher
        # seq than the snapshot and the client applies it; none is lost.
        await sio.enter_room(sid, room(p.meeting_id))
        try:
            result = await ctx.read(services.join, actor=actor, meeting_id=p.meeting_id)
        except DomainError:
            await sio.leave_room(sid, room(p.meeting_id))
            raise
        actions.joined[sid].add(p.meeting_id)
        if not actor.is_display and presence.add(p.meeting_id, actor.id, sid):
            await _presence_changed(p.meeting_id)
        result["online"] = presence.online(p.meeting_id)
        return result

    async def leave(sid: str, actor: Actor, p: MeetingRef) -> Any:
        await sio.leave_room(sid, room(p.meeting_id))
        actions.joined[sid].discard(p.meeting_id)
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

    ctx.end_session = actions.end_session
    sio.on("connect", connect)
    sio.on("disconnect", disconnect)
    actions.action("meeting:join", MeetingRef, join)
    actions.action("meeting:leave", MeetingRef, leave)
    actions.action("meeting:sync", SyncRequest, sync)
    actions.action("meeting:start", MeetingRef, conduct(services.start_meeting))
    actions.action("meeting:end", MeetingRef, conduct(services.end_meeting))
    actions.action("agenda:next", MeetingRef, conduct(services.step_item, direction=1))
    actions.action("agenda:previous", MeetingRef, conduct(services.step_item, direction=-1))
    actions.action("agenda:activate", ItemRef, activate)
    actions.action("attendance:check_in", CheckIn, check_in)
    return actions
