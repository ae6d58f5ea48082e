"""Remote attendance signalling (rtc:*) on the socket edge: authenticate and permission-check like every
other event (meetings.participation), then relay to the media worker hosting the meeting
(realtime/media/channel.py). Joining and leaving tell the attendance service (meetings/attendance.py), which
decides what they mean: watching from one's seat in the room changes nothing.
When a participant's socket drops, their sessions wait rtc_grace_seconds for an rtc:resume (the media
connection survived the socket's drop) or an rtc:join from a new socket, either of which takes them over;
after that they are left as by rtc:leave. A socket closed because its login session ended (logout, the account
locked...: realtime/actions.py) gets no grace: its sessions are left at once.

rtc:config {meeting_id} -> {ice_servers}           rtc:join {meeting_id, offer: {sdp, type}, hall?} -> {answer, muted}
rtc:candidate {meeting_id, candidate, hall?}        rtc:leave {meeting_id, hall?}
rtc:resume {meeting_id, hall?} -> {resumed}         (after a socket reconnect; resumed=false: join again)
rtc:mute {meeting_id, audio?, video?}
chair: rtc:mute_participant / rtc:remove_participant {meeting_id, user_id}
Server -> that participant's socket: rtc:muted {meeting_id, audio, video}, rtc:layer {meeting_id, layer},
rtc:publish {meeting_id, max_width} (the widest picture worth sending: its tile's size on the composite),
rtc:ended {meeting_id, reason: dropped|removed|meeting_ended}."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Callable


from core.actor import Actor
from infra.context import AppContext
from core.errors import DomainError, ValidationFailed
from core.i18n import N_
from meetings import participation
from meetings.events import ACCESS_CHANGING
from meetings.models import AttendanceSource
from realtime.actions import SocketActions
from realtime.media.channel import MediaRefused, MediaUnavailable, MediaWorkers, publishes
from realtime.media.config import parse_ice_servers
from realtime.rtc_payloads import RtcCandidate, RtcJoin, RtcLeave, RtcMute, RtcTarget
from web.http import invalid
from web.sockets import MeetingRef
from speakers import services as speaker_services

log = logging.getLogger("ecabinet.rtc")
_MEDIA_EVENTS = frozenset({"speaker.queue_changed", "meeting.ended", *ACCESS_CHANGING})


def _log_failure(task: asyncio.Future[Any]) -> None:
    """Done callback of a relay call nothing awaits: its failure is logged, not lost."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("relay: %s", task.exception())


@dataclass
class RtcSession:
    actor: Actor
    sid: str
    hall: bool


def _unavailable(exc: Exception) -> DomainError:
    log.warning("media worker: %s", exc)
    err = DomainError("Máy chủ truyền hình trực tuyến chưa sẵn sàng; vui lòng thử lại.")
    err.code, err.status = "media_unavailable", 503
    return err


# What the media server's aiortc would not take, as the field it came in (realtime/media/room.py: Refused).
_REFUSED = {
    "join": (
        "offer.sdp",
        N_("máy chủ truyền hình không dùng được bản chào SDP này (không có định dạng chung hoặc có giá trị sai)"),
    ),
    "candidate": ("candidate.candidate", N_("máy chủ truyền hình không dùng được ứng viên ICE này")),
}


def _refused(op: str, meeting_id: int, user_id: Any, exc: Exception) -> ValidationFailed:
    """The client's error (422 validation_failed, as the edge's own checks answer): logged once, no traceback."""
    log.info("rtc %s of user %s in meeting %s refused by the media server: %r", op, user_id, meeting_id, str(exc)[:300])
    field, message = _REFUSED.get(op, ("body", _REFUSED["join"][1]))
    return invalid([{"field": field, "message": message, "type": "media_refused"}])


class RemoteMedia:
    def __init__(self, ctx: AppContext, workers: MediaWorkers) -> None:
        self.ctx = ctx
        self.workers = workers
        self.sio: Any = None
        self.sessions: dict[tuple[int, int, bool], RtcSession] = {}
        # sessions whose socket dropped (waiting for it), and those whose leave is on its way (_leave_now)
        self.grace: dict[tuple[int, int, bool], asyncio.Task[None]] = {}
        self.connected: Callable[[str], bool] = lambda sid: True
        # Whether a socket was closed because its login session ended (SocketActions.session_ended): no grace.
        self.session_ended: Callable[[str], bool] = lambda sid: False
        # In a cluster (realtime/rtc_relay.py): rtc:* events go to the meeting's media node, which may serve
        # sockets held by other nodes; those nodes are told when such a socket goes.
        self.route: Callable[[str, Any, Any], Any] = lambda name, model, fn: fn
        self.is_remote: Callable[[str], bool] = lambda sid: False
        self.relay: Any = None
        workers.on_event(self._on_worker_event)

    def register(self, actions: SocketActions) -> None:
        self.sio = actions.sio
        self.connected = lambda sid: sid in actions.actors or self.is_remote(sid)
        self.session_ended = actions.session_ended
        actions.on_disconnect.append(self.socket_gone)
        if self.relay is not None:
            actions.on_disconnect.append(self.relay.socket_gone)
        actions.action("rtc:config", MeetingRef, self.config)
        for name, model, fn in (
            ("rtc:join", RtcJoin, self.join),
            ("rtc:candidate", RtcCandidate, self.candidate),
            ("rtc:leave", RtcLeave, self.leave),
            ("rtc:resume", RtcLeave, self.resume),
            ("rtc:mute", RtcMute, self.mute),
            ("rtc:mute_participant", RtcTarget, self.mute_participant),
            ("rtc:remove_participant", RtcTarget, self.remove_participant),
        ):
            actions.action(name, model, self.route(name, model, fn))

    async def _media(self, meeting_id: int, op: str, **payload: Any) -> Any:
        try:
            return await self.workers.request(meeting_id, op, **payload)
        except MediaRefused as exc:
            raise _refused(op, meeting_id, payload.get("user_id"), exc) from None
        except (MediaUnavailable, OSError, TimeoutError) as exc:
            raise _unavailable(exc) from None

    async def _presence(
        self, actor: Actor, meeting_id: int, present: bool, user_id: int | None = None, **how: Any
    ) -> None:
        try:
            await self.ctx.write(
                participation.set_remote_presence,
                actor=actor,
                meeting_id=meeting_id,
                present=present,
                user_id=user_id,
                **how,
            )
        except DomainError as exc:  # e.g. the meeting has ended: attendance stays as recorded
            log.info(
                "remote presence of %s in meeting %s not changed: %s", user_id or actor.id, meeting_id, exc.message
            )

    # --- handlers ---------------------------------------------------------------------------------
    async def config(self, sid: str, actor: Actor, p: MeetingRef) -> Any:
        await self.ctx.read(participation.authorize_remote, actor=actor, meeting_id=p.meeting_id)
        return {"ice_servers": parse_ice_servers(self.ctx.settings.ice_servers)}

    async def join(self, sid: str, actor: Actor, p: RtcJoin) -> Any:
        info = await self.ctx.read(participation.authorize_remote, actor=actor, meeting_id=p.meeting_id, hall=p.hall)
        speakers = await self.ctx.read(speaker_services.list_speakers, actor=actor, meeting_id=p.meeting_id)
        floor = (speakers.get("current") or {}).get("user_id")
        key, session = (p.meeting_id, actor.id, p.hall), RtcSession(actor, sid, p.hall)
        await self._reclaim(key, session)
        try:
            data = await self._media(
                p.meeting_id,
                "join",
                user_id=actor.id,
                label=info["label"],
                offer=p.offer.model_dump(),
                hall=p.hall,
                floor=floor,
            )
        except ValidationFailed:  # the worker let go of a session this one replaces before refusing the new offer
            if self._forget(key) is not None and not p.hall:
                await self._presence(actor, p.meeting_id, False, source=AttendanceSource.video_leave)
            raise
        self.sessions[key] = session
        if self.relay is not None and not p.hall:  # recorded in Redis: should this node die, another ends it
            await self.relay.session_started(key, actor)
        if not self.connected(sid):  # the new socket dropped while the worker answered
            self.socket_gone(sid)
        if not p.hall:
            await self._presence(actor, p.meeting_id, True, publishing=publishes(p.offer.sdp))
        return {"answer": data["answer"], "muted": data.get("muted"), "max_width": data.get("max_width")}

    async def resume(self, sid: str, actor: Actor, p: RtcLeave) -> Any:
        """A new socket of the same participant takes over a live session without touching the media."""
        await self.ctx.read(participation.authorize_remote, actor=actor, meeting_id=p.meeting_id, hall=p.hall)
        key = (p.meeting_id, actor.id, p.hall)
        if key not in self.sessions:
            return {"resumed": False}
        await self._reclaim(key, RtcSession(actor, sid, p.hall))
        if key not in self.sessions:  # it expired while we looked
            return {"resumed": False}
        self.sessions[key] = RtcSession(actor, sid, p.hall)
        if not self.connected(sid):
            self.socket_gone(sid)
        return {"resumed": True}

    def _own(self, actor: Actor, meeting_id: int, hall: bool) -> RtcSession:
        session = self.sessions.get((meeting_id, actor.id, hall))
        if session is None:
            err = DomainError("Bạn chưa tham gia trực tuyến cuộc họp này.")
            err.code, err.status = "not_joined", 409
            raise err
        return session

    async def candidate(self, sid: str, actor: Actor, p: RtcCandidate) -> Any:
        self._own(actor, p.meeting_id, p.hall)
        if p.candidate and p.candidate.candidate:
            await self._media(
                p.meeting_id, "candidate", user_id=actor.id, hall=p.hall, candidate=p.candidate.model_dump()
            )
        return None

    async def leave(self, sid: str, actor: Actor, p: RtcLeave) -> Any:
        session = self._forget((p.meeting_id, actor.id, p.hall))
        if session is not None:
            await self._depart(p.meeting_id, session)
        return None

    async def _depart(
        self, meeting_id: int, session: RtcSession, how: AttendanceSource = AttendanceSource.video_leave
    ) -> None:
        """The worker lets go of the participant's peer; attendance learns that the video ended, and how."""
        try:
            await self._media(meeting_id, "leave", user_id=session.actor.id, hall=session.hall)
        finally:
            if not session.hall:
                await self._presence(session.actor, meeting_id, False, source=how)

    async def mute(self, sid: str, actor: Actor, p: RtcMute) -> Any:
        self._own(actor, p.meeting_id, False)
        await self._media(p.meeting_id, "mute", user_id=actor.id, audio=p.audio, video=p.video)
        return None

    async def mute_participant(self, sid: str, actor: Actor, p: RtcTarget) -> Any:
        await self.ctx.read(participation.authorize_remote_control, actor=actor, meeting_id=p.meeting_id)
        return {"muted": bool(await self._media(p.meeting_id, "mute", user_id=p.user_id, audio=True, video=None))}

    async def remove_participant(self, sid: str, actor: Actor, p: RtcTarget) -> Any:
        await self.ctx.read(participation.authorize_remote_control, actor=actor, meeting_id=p.meeting_id)
        session = self._forget((p.meeting_id, p.user_id, False))
        removed = bool(await self._media(p.meeting_id, "leave", user_id=p.user_id))
        if session is not None:
            await self.sio.emit("rtc:ended", {"meeting_id": p.meeting_id, "reason": "removed"}, to=session.sid)
        await self._presence(actor, p.meeting_id, False, user_id=p.user_id)
        return {"removed": removed}

    # --- a dropped socket: grace, then leave -------------------------------------------------------
    def socket_gone(self, sid: str, ended: bool | None = None) -> None:
        """Called when a socket disconnects: each session bound to it gets rtc_grace_seconds to come back.
        A socket closed because its login session ended (logout, the account locked, its password reset, its role
        changed: SocketActions.ended; `ended` says so for a socket of another node) gets no grace: the media of
        someone no longer signed in stops now, and attendance learns that the video ended."""
        if self.session_ended(sid) if ended is None else ended:
            for key in [k for k, session in self.sessions.items() if session.sid == sid]:
                self._leave_now(key)
            return
        for key, session in self.sessions.items():
            if session.sid == sid and key not in self.grace:
                self.grace[key] = asyncio.ensure_future(self._expire(key, sid))

    def _leave_now(self, key: tuple[int, int, bool]) -> None:
        """End a session at once, as rtc:leave does. It is no session from now on; until its leave has reached
        the worker and attendance, it stays in `grace`, so that a join of the same participant waits for it
        (_reclaim) and is not undone by it."""
        if task := self.grace.pop(key, None):
            task.cancel()
        session = self.sessions.pop(key)
        self._ended(key)
        log.info("remote session of %s in meeting %s: its login session ended, leaving now", key[1], key[0])
        self.grace[key] = asyncio.ensure_future(self._depart_now(key, session))

    async def _depart_now(self, key: tuple[int, int, bool], session: RtcSession) -> None:
        try:
            await self._depart(key[0], session)
        except DomainError:  # the worker is unavailable: attendance was still updated (_depart)
            pass
        finally:
            if self.grace.get(key) is asyncio.current_task():
                del self.grace[key]

    async def _expire(self, key: tuple[int, int, bool], sid: str) -> None:
        try:
            await asyncio.sleep(self.ctx.settings.rtc_grace_seconds)
            session = self.sessions.get(key)
            if session is None or session.sid != sid:
                return
            del self.sessions[key]  # before any await: a rejoin from now on waits for this to finish
            self._ended(key)
            log.info("remote session of %s in meeting %s: socket gone for the grace period, leaving", key[1], key[0])
            await self._depart(key[0], session, AttendanceSource.video_lost)
        except DomainError:  # the worker is unavailable: attendance was still updated (_depart)
            pass
        finally:
            if self.grace.get(key) is asyncio.current_task():
                del self.grace[key]

    async def _reclaim(self, key: tuple[int, int, bool], session: RtcSession) -> None:
        """rtc:join: a session waiting for its dropped socket moves to this one; one already expiring
        finishes first (its leave reaches the worker and attendance before this join does)."""
        task = self.grace.pop(key, None)
        if task is None:
            return
        if key in self.sessions:  # still in its grace period
            task.cancel()
            self.sessions[key] = session
        else:
            await asyncio.wait([task])

    def _forget(self, key: tuple[int, int, bool]) -> RtcSession | None:
        session = self.sessions.pop(key, None)
        if session is not None:
            self._ended(key)
            if task := self.grace.pop(key, None):
                task.cancel()
        return session

    def _ended(self, key: tuple[int, int, bool]) -> None:
        if self.relay is not None and not key[2]:
            task = asyncio.ensure_future(self.relay.session_ended(key))
            task.add_done_callback(_log_failure)

    # --- from the worker and from the meeting's events --------------------------------------------
    async def _on_worker_event(self, event: dict[str, Any]) -> None:
        mid, uid, kind = event.get("meeting_id"), event.get("user_id"), event["event"]
        if not isinstance(mid, int) or not isinstance(uid, int):
            return  # every event of the worker names its participant (realtime/media/room.py)
        session = self.sessions.get((mid, uid, bool(event.get("hall"))))
        if kind == "gone":
            session = self._forget((mid, uid, bool(event.get("hall"))))
            if session is not None:
                await self.sio.emit("rtc:ended", {"meeting_id": mid, "reason": "dropped"}, to=session.sid)
                if not session.hall:
                    await self._presence(session.actor, mid, False, source=AttendanceSource.video_lost)
        elif session is not None and kind == "mute":
            await self.sio.emit(
                "rtc:muted", {"meeting_id": mid, "audio": event["audio"], "video": event["video"]}, to=session.sid
            )
        elif session is not None and kind == "layer":
            await self.sio.emit("rtc:layer", {"meeting_id": mid, "layer": event["layer"]}, to=session.sid)
        elif session is not None and kind == "publish":
            await self.sio.emit("rtc:publish", {"meeting_id": mid, "max_width": event["max_width"]}, to=session.sid)

    async def observe(self, events: list[dict[str, Any]], relayed: bool = False) -> None:
        """Called after each commit with the meeting's events: the floor and the end of the meeting."""
        if self.relay is not None and not relayed:
            wanted = [env for env in events if env.get("type") in _MEDIA_EVENTS]
            if wanted:  # the meeting's media may live on another node
                task = asyncio.ensure_future(self.relay.observe(wanted))
                task.add_done_callback(_log_failure)
        for env in events:
            mid = env.get("meeting_id")
            if not isinstance(mid, int) or not any(key[0] == mid for key in self.sessions):
                continue
            try:
                if env.get("type") == "speaker.queue_changed":
                    current = (env.get("data", {}).get("speakers") or {}).get("current") or {}
                    await self.workers.request(mid, "floor", floor=current.get("user_id"))
                elif env.get("type") == "meeting.ended":
                    for key in [k for k in self.sessions if k[0] == mid]:
                        if (session := self._forget(key)) is not None:
                            await self.sio.emit(
                                "rtc:ended", {"meeting_id": mid, "reason": "meeting_ended"}, to=session.sid
                            )
                    await self.workers.request(mid, "close_room")
                elif env.get("type") in ACCESS_CHANGING:
                    await self._recheck(mid)
            except (MediaUnavailable, OSError, TimeoutError) as exc:
                log.warning("media worker: %s", exc)

    async def _recheck(self, meeting_id: int) -> None:
        """Who may see what changed (removed, role, back to draft): sessions no longer allowed end now."""
        for key in [k for k in self.sessions if k[0] == meeting_id]:
            session = self.sessions[key]
            try:
                await self.ctx.read(
                    participation.authorize_remote, actor=session.actor, meeting_id=meeting_id, hall=key[2]
                )
            except DomainError:
                if self._forget(key) is not None:
                    await self.sio.emit(
                        "rtc:ended", {"meeting_id": meeting_id, "reason": "access_revoked"}, to=session.sid
                    )
                    with contextlib.suppress(DomainError):
                        await self._depart(meeting_id, session)

    async def start(self) -> None:
        await self.workers.start()

    async def stop(self) -> None:
        tasks = list(self.grace.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.grace.clear()
        self.sessions.clear()
        await self.workers.stop()
