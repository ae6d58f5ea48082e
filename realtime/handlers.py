"""Meeting room socket events: thin. Parse the payload, call the same service as the REST route, ack.

Acks are {"ok": true, "data": ...} or {"ok": false, "error": {"code", "message"}}. Handlers are module-level
functions taking the `Live` of the server first (bound with functools.partial at registration).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import socketio

from core.actor import Actor
from accounts.services import session_key
from web.auth import cookie_from_header, cookie_name
from infra.context import AppContext
from web.i18n import environ_lang
from core.errors import Forbidden
from core.i18n import translate
from display import services as display_services
from meetings import audience, participation, services
from meetings.access import not_found as meeting_absent
from meetings.schemas import CheckInRequest
from realtime.actions import Handler, SocketActions
from realtime.audience import Rooms
from realtime.broadcast import user_room
from realtime.connect_limit import ConnectLimit
from realtime.direct import forget_headers
from realtime.payloads import CheckIn, ItemRef, MeetingRef, StartMeeting, SyncRequest
from realtime.guarded import GuardedServer
from realtime.recheck import Recheck
from realtime.presence import LocalBoard, SharedBoard, board
from infra.batched import BatchedReads


@dataclass
class Live:
    sio: socketio.AsyncServer
    ctx: AppContext
    actions: SocketActions
    rooms: Rooms
    presence: LocalBoard | SharedBoard  # who has the meeting open (shared across nodes with Redis)
    joins: BatchedReads  # meeting:join of the tablets joining together: one read and one snapshot per batch
    logins: BatchedReads  # the session cookies of sockets connecting together: one read per batch
    connects: ConnectLimit  # connect attempts per client address (refused or in flight)


def _refused(text: str, lang: str) -> socketio.exceptions.ConnectionRefusedError:
    """socket.io's connect_error as the pages read it (err.data.message) and as docs/realtime-protocol.md says:
    `message`, and `data: {code, message}` in the socket's language."""
    message = translate(text, lang)
    return socketio.exceptions.ConnectionRefusedError(message, {"code": "unauthenticated", "message": message})


async def connect(live: Live, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
    """Admit a socket by its display token or session cookie: counted against its address's connects first
    (realtime/connect_limit.py; past that budget, a credential this node has seen work against its own), forgotten
    there once admitted; a refusal stays counted."""
    lang = environ_lang(environ)
    attempt = await live.connects.reserve(environ, lang, auth)
    try:
        await _admit(live, sid, environ, auth, lang)
    except socketio.exceptions.ConnectionRefusedError as exc:
        attempt.refused(exc)
        raise
    except BaseException:
        await attempt.release()  # not a refusal (e.g. the database was busy): the error is logged
        raise
    await attempt.admitted()
    return True


async def _admit(live: Live, sid: str, environ: dict[str, Any], auth: Any, lang: str) -> None:
    display_token = auth.get("display_token") if isinstance(auth, dict) else None
    if display_token is not None:  # the hall's room display: read-only, one meeting (display/)
        screen = await live.ctx.read(
            display_services.resolve_actor, token=str(display_token), timezone=live.ctx.settings.timezone
        )
        if screen is None:
            raise _refused("Mã màn hình không hợp lệ hoặc đã bị thu hồi.", lang)
        await live.sio.save_session(sid, {"display": screen.username})  # found again when the token is revoked
        live.actions.connected(sid, screen)
        live.actions.langs[sid] = lang
        forget_headers(environ)
        return
    token = cookie_from_header(environ.get("HTTP_COOKIE"), cookie_name(live.ctx.settings))
    found = await live.logins.call(token) if token else None
    if found is None or token is None:
        raise _refused("Vui lòng đăng nhập.", lang)
    live.actions.connected(sid, found[0], session_key(token), token)
    live.actions.langs[sid] = lang
    await live.sio.enter_room(sid, user_room(found[0].id))  # the user's own sockets: private annotation events
    forget_headers(environ)


async def to_user(live: Live, user_id: int, event: str, data: Any) -> None:
    """One user's own sockets (room user:<id>, entered at connect after the login was checked)."""
    await live.sio.emit(event, data, room=user_room(user_id))


async def disconnect(live: Live, sid: str, *args: Any) -> None:
    actor = live.actions.disconnected(sid)
    for meeting_id in live.rooms.forget(sid):
        if actor:
            await live.presence.remove(meeting_id, actor.id, sid)


async def join(live: Live, sid: str, actor: Actor, p: MeetingRef) -> Any:
    """Check, then enter: the permission check and the snapshot come first, and the socket enters the rooms
    of its audiences only when allowed. Events delivered between the snapshot and the room entry are then
    read again (with the permission checked again) and sent to this socket, so none is lost; the client
    ignores what it already has (seq)."""
    result, audiences, access_seq = await live.joins.call((actor, p.meeting_id))
    if not await live.rooms.admit(sid, actor, p.meeting_id, audiences, access_seq):
        raise meeting_absent()  # no longer the caller's to see: as the service answers it, as if absent
    has = result["seq"]
    if live.rooms.delivered_since(p.meeting_id, result["seq"]):
        has = await catch_up(live, sid, actor, p.meeting_id, result)
    live.rooms.snapshot_sent(sid, p.meeting_id, result["seq"])
    live.rooms.caught_up(p.meeting_id, has)
    if not actor.is_display:  # the board tells the meeting's viewers (the room follows the permission)
        await live.presence.add(p.meeting_id, actor.id, sid)
    result["online"] = await live.presence.online(p.meeting_id)
    return result


async def catch_up(live: Live, sid: str, actor: Actor, meeting_id: int, result: dict[str, Any]) -> int:
    """Events delivered between the join's snapshot and its room entry: read again (the permission with them)
    and sent to this socket only; a snapshot instead when there are very many. Answers the seq the socket then
    has every event up to."""
    try:
        missed = await live.ctx.read(
            services.sync,
            actor=actor,
            meeting_id=meeting_id,
            since=result["seq"],
            limit=live.ctx.settings.sync_max_events,
        )
    except Exception:
        await live.rooms.leave(sid, meeting_id)
        raise
    if "snapshot" in missed:
        result.update(snapshot=missed["snapshot"], seq=missed["seq"])
    for env in missed.get("events", ()):
        await live.sio.emit("event", env, to=sid)
    return max(int(result["seq"]), int(missed["seq"]))  # the meeting's last seq when it was read


async def leave(live: Live, sid: str, actor: Actor, p: MeetingRef) -> Any:
    await live.rooms.leave(sid, p.meeting_id)
    await live.presence.remove(p.meeting_id, actor.id, sid)
    return None


async def evicted(live: Live, sid: str, meeting_id: int) -> None:
    """A socket lost the meeting (removed, role, draft, token revoked): it is no longer online there."""
    actor = live.actions.actors.get(sid)
    if actor is not None:
        await live.presence.remove(meeting_id, actor.id, sid)


async def sync(live: Live, sid: str, actor: Actor, p: SyncRequest) -> Any:
    """The events after `since` the socket missed, or a snapshot: when many were missed, and whenever `since` is
    before the socket's last snapshot (realtime/audience.py `floors`: it is replayed only what it was sent)."""
    if actor.is_display and not live.rooms.has(sid, p.meeting_id):  # its token is checked at join only
        raise Forbidden("Hãy vào phòng họp trước.")
    answer = await _sync(live, sid, actor, p.meeting_id, live.rooms.replay_from(sid, p.meeting_id, p.since))
    if "snapshot" in answer:
        live.rooms.snapshot_sent(sid, p.meeting_id, answer["seq"])
    return answer


async def _sync(live: Live, sid: str, actor: Actor, meeting_id: int, since: int) -> Any:
    limit = live.ctx.settings.sync_max_events
    audiences = live.rooms.grants.get(meeting_id, {}).get(sid)
    if audiences and not actor.is_display:
        # A joined socket: its audiences are cached and kept current (realtime/audience.py), so sockets asking
        # the same share one read; if access changed meanwhile, the full path below checks again.
        known = live.rooms.checked.get(meeting_id, 0)
        kwargs = {
            "meeting_id": meeting_id,
            "since": since,
            "limit": limit,
            "audiences": audiences,
            "access_seq": known,
        }
        found = await live.actions.shared_reads.once(
            tuple(kwargs.values()), partial(live.ctx.read, audience.sync_as, **kwargs)
        )
        if found is not None:
            return found
    return await live.ctx.read(services.sync, actor=actor, meeting_id=meeting_id, since=since, limit=limit)


async def conduct(
    live: Live, fn: Callable[..., Any], fixed: dict[str, Any], sid: str, actor: Actor, p: MeetingRef
) -> Any:
    return await live.ctx.write(fn, actor=actor, meeting_id=p.meeting_id, **fixed)


async def start(live: Live, sid: str, actor: Actor, p: StartMeeting) -> Any:
    return await live.ctx.write(services.start_meeting, actor=actor, meeting_id=p.meeting_id, force=p.force)


async def activate(live: Live, sid: str, actor: Actor, p: ItemRef) -> Any:
    return await live.ctx.write(services.activate_item, actor=actor, meeting_id=p.meeting_id, item_id=p.item_id)


async def check_in(live: Live, sid: str, actor: Actor, p: CheckIn) -> Any:
    data = CheckInRequest(attendance=p.attendance)
    return await live.ctx.write(participation.check_in, actor=actor, meeting_id=p.meeting_id, data=data)


def _conducting(live: Live, fn: Callable[..., Any], **fixed: Any) -> Handler:
    return partial(conduct, live, fn, fixed)


def register(sio: socketio.AsyncServer, ctx: AppContext) -> SocketActions:
    actions = SocketActions(sio, ctx)
    joins = BatchedReads(lambda calls: ctx.read(audience.join_many, calls=calls))
    connects = ConnectLimit(ctx.settings, actions.known)
    live = Live(sio, ctx, actions, actions.rooms, board(sio, ctx.cluster), joins, actions.logins, connects)
    ctx.background.append(connects)  # its Redis connection closes with the app
    ctx.cluster.services.append(live.presence)
    actions.rooms.on_evicted.append(partial(evicted, live))
    ctx.end_session = actions.end_session
    if isinstance(sio, GuardedServer):
        sio.lang_of = actions.lang
    ctx.background.append(Recheck(actions, ctx.settings.socket_recheck_seconds))
    ctx.to_user = partial(to_user, live)
    sio.on("connect", partial(connect, live))
    sio.on("disconnect", partial(disconnect, live))
    actions.action("meeting:join", MeetingRef, partial(join, live))
    actions.action("meeting:leave", MeetingRef, partial(leave, live))
    actions.action("meeting:sync", SyncRequest, partial(sync, live))
    actions.action("meeting:start", StartMeeting, partial(start, live))
    actions.action("meeting:end", MeetingRef, _conducting(live, services.end_meeting))
    actions.action("agenda:next", MeetingRef, _conducting(live, services.step_item, direction=1))
    actions.action("agenda:previous", MeetingRef, _conducting(live, services.step_item, direction=-1))
    actions.action("agenda:activate", ItemRef, partial(activate, live))
    actions.action("attendance:check_in", CheckIn, partial(check_in, live))
    return actions
