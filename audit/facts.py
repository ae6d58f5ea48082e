"""State facts: the log records what the stored state of users, votes and meeting participants IS after every
change made through the application, and the verifier compares the database with the last fact of each.

Recording is a flush hook, not a call in each service: any ORM write that changes a user's role or active
flag or password, a vote's state or result, or a participant's role is logged in the same transaction, so a new code
path cannot forget it. What bypasses the ORM (raw SQL in the database) has no fact, and the verifier names
it ("user 12 is admin in the database but the log last recorded member").

Secrecy: a fact holds no choice. Votes are logged at state changes only (never per cast) with their public
result and per-option counts; who chose what (open and named ballots) is kept as an HMAC under the audit key,
which detects a swapped ballot without letting anyone, the admin included, read or brute-force it. Secret
votes have no ballot at all (votes/models.py); their fact is the per-option tally that the result shows.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session, col, select

from accounts.models import AuthSession, User
from audit import adoption, minutes_facts, session_facts
from ledger.chain import KEYS, canonical, keys_of
from meetings.models import Participant
from votes.models import Ballot, Vote, VoteKind, VoterRecord, VoteState

# Which attributes, when changed, make a new fact (a cast changes voted_count: no fact, see module doc).
_TRACKED: dict[type, tuple[str, ...]] = {
    User: ("role", "is_active", "password_hash"),
    Vote: ("state", "result", "kind", "rule"),
    Participant: ("role",),
    **minutes_facts.TRACKED,
    **session_facts.TRACKED,
}
_DONE = (VoteState.closed, VoteState.published)


def _v(value: Any) -> Any:
    return getattr(value, "value", value)  # enums as their stored value


def subject(fact: dict[str, Any]) -> str:
    other = minutes_facts.subject(fact) or session_facts.subject(fact)
    if other is not None:
        return other
    if "vote_id" in fact:
        return f"vote:{fact['vote_id']}"
    if "meeting_id" in fact:
        return f"participant:{fact['meeting_id']}:{fact['user_id']}"
    return f"user:{fact['user_id']}"


def user_fact(user: User, session: Session | None = None) -> dict[str, Any]:
    """With `session` (holding the audit keys): also the password hash, as an HMAC under the audit key (it tells a
    hash swapped in the database from the one set through the application, and nothing about the password)."""
    fact = {"user_id": user.id, "username": user.username, "role": _v(user.role), "active": bool(user.is_active)}
    if session is not None and KEYS in session.info:
        secret = b"ecabinet-audit-credential\0" + user.password_hash.encode()
        fact["credential"] = hmac.new(keys_of(session).mac_key(), secret, hashlib.sha256).hexdigest()
    return fact


def participant_fact(p: Participant, *, removed: bool = False) -> dict[str, Any]:
    return {"meeting_id": p.meeting_id, "user_id": p.user_id, "role": None if removed else _v(p.role)}


def _ballots_mac(session: Session, vote_id: int) -> str:
    rows = session.exec(
        select(Ballot.user_id, Ballot.option_id).where(Ballot.vote_id == vote_id).order_by(col(Ballot.user_id))
    ).all()
    key = keys_of(session).mac_key()
    return hmac.new(key, b"ecabinet-audit-ballots\0" + canonical([list(r) for r in rows]), hashlib.sha256).hexdigest()


def vote_fact(session: Session, vote: Vote) -> dict[str, Any]:
    from votes.serialize import counts

    fact: dict[str, Any] = {
        "vote_id": vote.id,
        "meeting_id": vote.meeting_id,
        "kind": _v(vote.kind),
        "rule": _v(vote.rule),
        "state": _v(vote.state),
    }
    if vote.state in _DONE:
        voters = session.exec(select(VoterRecord.user_id).where(VoterRecord.vote_id == vote.id)).all()
        fact.update(
            result=vote.result,
            voted_count=vote.voted_count,
            eligible_count=vote.eligible_count,
            counts={str(k): n for k, n in sorted(counts(session, vote).items())},
            voters=len(voters),
        )
        if vote.kind != VoteKind.secret:
            fact["ballots"] = _ballots_mac(session, vote.id or 0)
    return fact


def _fact_of(session: Session, obj: Any, *, deleted: bool) -> tuple[str, dict[str, Any]]:
    if isinstance(obj, User):
        return "state.user", {**user_fact(obj, session), **({"deleted": True} if deleted else {})}
    if isinstance(obj, Participant):
        return "state.participant", participant_fact(obj, removed=deleted)
    if type(obj) in minutes_facts.TRACKED:
        return minutes_facts.fact_of(obj, deleted=deleted)
    if type(obj) in session_facts.TRACKED:
        return session_facts.fact_of(session, obj, deleted=deleted)
    return "state.vote", {"vote_id": obj.id, "deleted": True} if deleted else vote_fact(session, obj)


ROLE_VI = {
    "admin": "quản trị",
    "secretariat": "văn phòng",
    "member": "thành viên",
    "guest": "khách mời",
    "chair": "chủ tọa",
    "secretary": "thư ký",
    None: "không có",
}
_STATE_VI = {"draft": "đang soạn", "open": "đang mở", "closed": "đã đóng", "published": "đã công bố"}


def summary(type_: str, fact: dict[str, Any]) -> str:
    """A line for the admin's list: who or what, and the new role or state (never a choice)."""
    if type_ == "state.user":
        return f"Tài khoản {fact['username']}: {ROLE_VI.get(fact['role'], fact['role'])}" + (
            "" if fact.get("active", True) else ", đã khóa"
        )
    if type_ in ("state.minutes_file", "state.minutes_version"):
        return minutes_facts.summary(type_, fact)
    if type_ == "state.auth_session":
        return session_facts.summary(fact)
    if type_ == "state.participant":
        role = ROLE_VI.get(fact["role"], fact["role"]) if fact["role"] else "bớt khỏi thành phần"
        return f"Thành phần cuộc họp {fact['meeting_id']}: người dùng {fact['user_id']}, {role}"
    return f"Biểu quyết {fact['vote_id']}: " + (
        "đã xóa" if fact.get("deleted") else _STATE_VI.get(fact["state"], fact["state"])
    )


def _changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _TRACKED[type(obj)])


def on_flush(session: Session, _ctx: Any) -> None:
    """after_flush: ids are assigned and attribute history still tells what changed."""
    if KEYS not in session.info:
        return
    todo = [(o, False) for o in session.new if type(o) in _TRACKED]
    todo += [(o, False) for o in session.dirty if type(o) in _TRACKED and _changed(o)]
    todo += [(o, True) for o in session.deleted if type(o) in _TRACKED]
    adoption.record(session, [_fact_of(session, obj, deleted=deleted) for obj, deleted in todo], summary)


def adopt_all(session: Session) -> None:
    """At anchoring: the state as found when the key was installed becomes the log's starting facts."""
    found = [("state.user", user_fact(u, session)) for u in session.exec(select(User).order_by(col(User.id))).all()]
    found += [
        ("state.participant", participant_fact(p))
        for p in session.exec(select(Participant).order_by(col(Participant.id))).all()
    ]
    found += [("state.vote", vote_fact(session, v)) for v in session.exec(select(Vote).order_by(col(Vote.id))).all()]
    found += minutes_facts.found(session)
    found += [("state.auth_session", session_facts.session_fact(session, r)) for r in session.exec(select(AuthSession))]
    adoption.record(session, found, lambda type_, fact: f"{summary(type_, fact)} (tiếp nhận khi neo nhật ký)")
