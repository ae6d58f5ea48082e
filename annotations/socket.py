"""Annotation and presenter socket events (thin: the same services as the REST routes, acks alike).

    annotation:create {document_id, page, kind, data, text?, version?}   annotation:update {annotation_id, data?, text?}
    annotation:delete {annotation_id}                   -> `annotation` to the author's sockets (annotations/live.py)
    presenter:start {meeting_id, document_id, page}   presenter:page {meeting_id, page}   presenter:stop {meeting_id}
    presenter:ink {meeting_id, page, kind?, data}                         -> meeting events presenter.* (with seq)
    presenter:pointer {meeting_id, x, y}                                  -> `pointer` to the room (no seq, not stored)

The pointer does not go through SocketActions.action: it is meant to flow at up to POINTER_RATE per second,
which would drain the socket's general bucket and starve real actions. It has its own per-socket bucket;
floods are dropped (the ack, when asked for, says rate_limited) and the connection stays. Its permission
check (the sender may present and something is presented, and where) is cached per socket for at most
POINTER_CHECK_TTL s, and dropped for the whole meeting as soon as any event of that meeting is delivered (a page
turn, the presentation ended or handed over, a document's access changed): the pointer never follows a state
the room has already left.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from core.actor import Actor
from annotations import presenter, services
from annotations.schemas import (
    AnnotationRef,
    PresenterInk,
    PresenterPage,
    PresenterPointer,
    PresenterStart,
    SocketCreate,
    SocketUpdate,
)
from web.http import validate
from infra.ratelimit import TokenBucket
from core.errors import DomainError, Forbidden, RateLimited, Unauthenticated
from core.i18n import translate
from meetings.events import MEMBERS
from web.sockets import INTERNAL, MeetingRef, SocketActions, class_room, room

log = logging.getLogger("ecabinet.realtime")
POINTER_RATE = 30.0
POINTER_CHECK_TTL = 1.0


async def create(actions: SocketActions, sid: str, actor: Actor, p: SocketCreate) -> Any:
    return await actions.ctx.write(services.create_annotation, actor=actor, document_id=p.document_id, data=p)


async def update(actions: SocketActions, sid: str, actor: Actor, p: SocketUpdate) -> Any:
    return await actions.ctx.write(services.update_annotation, actor=actor, annotation_id=p.annotation_id, data=p)


async def delete(actions: SocketActions, sid: str, actor: Actor, p: AnnotationRef) -> Any:
    return await actions.ctx.write(services.delete_annotation, actor=actor, annotation_id=p.annotation_id)


async def start(actions: SocketActions, sid: str, actor: Actor, p: PresenterStart) -> Any:
    return await actions.ctx.write(
        presenter.start, actor=actor, meeting_id=p.meeting_id, document_id=p.document_id, page=p.page
    )


async def page(actions: SocketActions, sid: str, actor: Actor, p: PresenterPage) -> Any:
    return await actions.ctx.write(presenter.set_page, actor=actor, meeting_id=p.meeting_id, page=p.page)


async def stop(actions: SocketActions, sid: str, actor: Actor, p: MeetingRef) -> Any:
    return await actions.ctx.write(presenter.stop, actor=actor, meeting_id=p.meeting_id)


async def ink(actions: SocketActions, sid: str, actor: Actor, p: PresenterInk) -> Any:
    return await actions.ctx.write(
        presenter.add_ink, actor=actor, meeting_id=p.meeting_id, page=p.page, kind=p.kind, data=p.data
    )


@dataclass
class Pointers:
    """The pointer's own per-socket rate buckets and cached permission checks, for one server."""

    actions: SocketActions
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    # meeting -> sid -> (valid until, where the pointer goes)
    checks: dict[int, dict[str, tuple[float, dict[str, Any]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.actions.on_event.append(self.changed)

    def changed(self, env: dict[str, Any]) -> None:
        """Any event of a meeting may change who presents what: its cached checks go (cheap: one dict pop)."""
        self.checks.pop(env.get("meeting_id", 0), None)

    def bucket(self, sid: str) -> TokenBucket:
        found = self.buckets.get(sid)
        if found is None:
            self.prune()
            found = self.buckets[sid] = TokenBucket(POINTER_RATE, burst=POINTER_RATE)
        return found

    def prune(self) -> None:
        if len(self.buckets) > 2 * len(self.actions.actors) + 16:
            for key in [k for k in self.buckets if k not in self.actions.actors]:
                self.buckets.pop(key, None)
            for checks in self.checks.values():
                for sid in [s for s in checks if s not in self.actions.actors]:
                    checks.pop(sid, None)

    async def target(self, sid: str, actor: Actor, meeting_id: int) -> dict[str, Any]:
        now = time.monotonic()
        cached = self.checks.get(meeting_id, {}).get(sid)
        if cached and cached[0] > now:
            return cached[1]
        checks = self.checks.setdefault(meeting_id, {})
        found: dict[str, Any] = await self.actions.ctx.read(
            presenter.pointer_target, actor=actor, meeting_id=meeting_id
        )
        if self.checks.get(meeting_id) is checks:  # no event of the meeting while we read: still true
            checks[sid] = (now + POINTER_CHECK_TTL, found)
        return found


async def pointer(pointers: Pointers, sid: str, data: Any = None) -> dict[str, Any]:
    actions = pointers.actions
    try:
        actor = actions.actors.get(sid)
        if actor is None:
            raise Unauthenticated("Phiên kết nối chưa xác thực.")
        if actor.is_display:
            raise Forbidden("Màn hình phòng họp chỉ hiển thị; không được thực hiện thao tác này.")
        if not pointers.bucket(sid).take():
            raise RateLimited("Con trỏ gửi quá nhanh; bớt các vị trí thừa.")
        p = validate(PresenterPointer, data)
        if not actions.in_meeting(sid, p.meeting_id):
            raise Forbidden("Hãy vào phòng họp trước khi dùng con trỏ.")
        where = dict(await pointers.target(sid, actor, p.meeting_id))
        to = room(p.meeting_id) if where.pop("guests") else class_room(p.meeting_id, MEMBERS)
        await actions.sio.emit(
            "pointer",
            {"meeting_id": p.meeting_id, "x": p.x, "y": p.y, "user_id": actor.id, **where},
            room=to,
            skip_sid=sid,
        )
        return {"ok": True, "data": None}
    except DomainError as exc:
        return {"ok": False, "error": exc.to_dict(actions.lang(sid))}
    except Exception:
        log.exception("socket event presenter:pointer failed")
        return {"ok": False, "error": {"code": "internal_error", "message": translate(INTERNAL, actions.lang(sid))}}


def register(actions: SocketActions) -> None:
    actions.action("annotation:create", SocketCreate, partial(create, actions))
    actions.action("annotation:update", SocketUpdate, partial(update, actions))
    actions.action("annotation:delete", AnnotationRef, partial(delete, actions))
    actions.action("presenter:start", PresenterStart, partial(start, actions))
    actions.action("presenter:page", PresenterPage, partial(page, actions))
    actions.action("presenter:stop", MeetingRef, partial(stop, actions))
    actions.action("presenter:ink", PresenterInk, partial(ink, actions))
    actions.raw("presenter:pointer", PresenterPointer, partial(pointer, Pointers(actions)))
