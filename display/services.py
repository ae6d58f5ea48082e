"""Display token operations (staff create, list and revoke) and their resolution at the edge.

A token works (meetings/display_rules.py) while (1) it is not revoked, (2) it is within its lifetime, fixed when it is
made: the end of the organisation's day (ECABINET_TIMEZONE) of its meeting's scheduled date, or of the day it is
made if later; a session that began within it keeps its screen while it runs (past midnight too) and, once ended,
until the end of that day; a postponed meeting needs a new link, and (3) the account that created it is still
active, with the credentials it had then (its credential epoch: a deactivation, a change of global role or of
password ends the link for good), and may still create display links for that meeting (staff, or the meeting's
secretary). A secretary who stops being one (a meeting role change, his removal) has his links revoked in that write
(meetings/display_ends.py), with why: making him secretary again brings none back."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlmodel import Session, col, select

from accounts.models import User
from core.actor import Actor
from core.clock import DEFAULT_TIMEZONE, iso, utcnow
from core.errors import Conflict, Forbidden, NotFound
from meetings.display_rules import valid_until, works
from meetings.display_tokens import DisplayToken
from meetings.access import access, load_meeting, require_manage
from meetings.services import emit

MAX_TOKEN_LENGTH = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_url(meeting_id: int, token: str) -> str:
    return f"/display/{meeting_id}?token={token}"


def _public(row: DisplayToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "meeting_id": row.meeting_id,
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "revoked_at": iso(row.revoked_at),
        "valid_until": iso(row.valid_until),
    }


def create_token(
    *, session: Session, actor: Actor, meeting_id: int, timezone: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """A new token for the meeting's room display; the token itself is shown once, here, and never stored. Its
    lifetime and the creator's credential epoch are fixed now (the module's rules; `timezone`: the
    organisation's)."""
    acc = access(session, actor, meeting_id)
    if not acc.can_manage:
        raise Forbidden("Chỉ Văn phòng (thư ký cuộc họp) được tạo mã cho màn hình phòng họp.")
    creator = session.get(User, actor.id)
    if creator is None or not creator.is_active:
        raise Forbidden("Chỉ Văn phòng (thư ký cuộc họp) được tạo mã cho màn hình phòng họp.")
    token, now = secrets.token_urlsafe(32), utcnow()
    row = DisplayToken(
        meeting_id=meeting_id,
        token_hash=token_hash(token),
        created_by=actor.id,
        created_at=now,
        valid_until=valid_until(acc.meeting.scheduled_at, now, timezone),
        creator_epoch=creator.credential_epoch,
    )
    session.add(row)
    session.flush()
    return {**_public(row), "token": token, "url": display_url(meeting_id, token)}


def list_tokens(*, session: Session, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    require_manage(access(session, actor, meeting_id))
    rows = session.exec(
        select(DisplayToken).where(DisplayToken.meeting_id == meeting_id).order_by(col(DisplayToken.id))
    ).all()
    return [_public(r) for r in rows]


def revoke_token(*, session: Session, actor: Actor, meeting_id: int, token_id: int) -> dict[str, Any]:
    acc = access(session, actor, meeting_id)
    if not acc.can_manage:
        raise Forbidden("Chỉ Văn phòng (thư ký cuộc họp) được thu hồi mã màn hình phòng họp.")
    row = session.get(DisplayToken, token_id)
    if row is None or row.meeting_id != meeting_id:
        raise NotFound("Không tìm thấy mã màn hình.")
    if row.revoked_at is not None:
        raise Conflict("Mã màn hình này đã bị thu hồi trước đó.")
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    # An access-changing event: the live edge checks the meeting's sockets again and the screen goes dark.
    emit(session, acc, "display.revoked", token_id=token_id)
    return _public(row)


def resolve_actor(*, session: Session, token: str, timezone: str = DEFAULT_TIMEZONE) -> Actor | None:
    """The read-only display actor for a token that still works (the module's rules); None otherwise.
    `timezone`: the organisation's (Settings.timezone), whose day an ended meeting's screen may last."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.exec(select(DisplayToken).where(DisplayToken.token_hash == token_hash(token))).first()
    if row is None or not works(session, row, timezone):
        return None
    assert row.id is not None
    return Actor.display(row.meeting_id, row.id)


def display_page(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """What the page shell needs (the live data comes over the socket); same access rule as everything else."""
    acc = access(session, actor, meeting_id)
    meeting = load_meeting(session, meeting_id)
    return {"id": meeting.id, "title": meeting.title, "place": meeting.place, "role": acc.role}
