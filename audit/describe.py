"""The audit log as its reader sees it: each entry's description in the reader's language, naming people,
meetings, votes and documents instead of their database ids.

Display only. The stored summary is part of the hash chain (ledger/chain.py) and never changes; the description
is made at read time from the entry's type and facts (`data`, for the state facts the log keeps) or, for a
meeting's events (whose data the log keeps a hash of), from the meeting's event log. An entry this module cannot
describe, or whose subject is gone, shows its stored summary. The type's own label is the page's
(frontend/static/js/audit.js: t(`audit.type.${type}`), the raw type when it has none)."""

from __future__ import annotations

from typing import Any, Iterable

from sqlmodel import Session, col, select

from accounts.models import User
from core.i18n import translate
from core.text import short
from documents.models import Document
from ledger.models import AuditEntry
from meetings.events import MeetingEvent
from meetings.models import Meeting
from votes.models import Vote

# Meeting events whose data names the one thing they are about (read from the event log, for these only).
_VOTE_EVENTS = ("vote.created", "vote.updated", "vote.opened", "vote.closed", "vote.decrypted", "vote.published")
_DOCUMENT_EVENTS = ("document.added", "document.updated", "document.removed")
_PERSON_EVENTS = ("attendance.changed", "speaker.queue_changed")
_WITH_SUBJECT = (*_VOTE_EVENTS, *_DOCUMENT_EVENTS, *_PERSON_EVENTS)
_ADOPTED = "(tiếp nhận khi neo nhật ký)"  # the end of an adopted fact's stored summary (audit/facts.py adopt_all)


def _ids(values: Iterable[Any]) -> list[int]:
    return sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)})


class _Names:
    """The names one page of entries needs, each table read once."""

    def __init__(self, session: Session, rows: list[AuditEntry], events: dict[tuple[int, int], dict[str, Any]]):
        facts = [r.data or {} for r in rows]
        users = _ids(f.get("user_id") for f in facts)
        users += _ids(_person(e).get("user_id") for e in events.values())
        meetings = _ids([*(r.meeting_id for r in rows), *(f.get("meeting_id") for f in facts)])
        votes = _ids([*(f.get("vote_id") for f in facts), *(e.get("vote_id") for e in events.values())])
        documents = _ids(e.get("document_id") for e in events.values())
        self.users = _lookup(session, User.id, User.full_name, users)
        self.meetings = _lookup(session, Meeting.id, Meeting.title, meetings)
        self.votes = _lookup(session, Vote.id, Vote.question, votes)
        self.documents = _lookup(session, Document.id, Document.title, documents)


def _lookup(session: Session, key: Any, value: Any, ids: list[int]) -> dict[Any, str]:  # read by any fact value
    if not ids:
        return {}
    return {k: v for k, v in session.exec(select(key, value).where(col(key).in_(ids))).all()}


def _person(event: dict[str, Any]) -> dict[str, Any]:
    for name in ("participant", "request"):
        found = event.get(name)
        if isinstance(found, dict):
            return found
    return {}


def _events(session: Session, rows: list[AuditEntry]) -> dict[tuple[int, int], dict[str, Any]]:
    wanted = [(r.meeting_id, r.event_seq) for r in rows if r.type in _WITH_SUBJECT and r.meeting_id and r.event_seq]
    if not wanted:
        return {}
    meetings = {m for m, _ in wanted}
    seqs = {s for _, s in wanted}
    found = session.exec(
        select(MeetingEvent.meeting_id, MeetingEvent.seq, MeetingEvent.data).where(
            col(MeetingEvent.meeting_id).in_(meetings), col(MeetingEvent.seq).in_(seqs)
        )
    ).all()
    keep = set(wanted)
    return {(m, s): d for m, s, d in found if (m, s) in keep and isinstance(d, dict)}


def _state(row: AuditEntry, names: _Names, lang: str) -> str | None:
    f = row.data or {}
    if row.type == "state.user" and "username" in f:
        name = names.users.get(f.get("user_id"), f["username"])
        if f.get("deleted"):
            return translate("audit.d.user_deleted", lang, username=f["username"], name=name)
        role = translate(f"users.role.{f.get('role')}", lang)
        key = "audit.d.user" if f.get("active", True) else "audit.d.user_locked"
        return translate(key, lang, username=f["username"], name=name, role=role)
    if row.type == "state.participant":
        meeting, person = names.meetings.get(f.get("meeting_id")), names.users.get(f.get("user_id"))
        if meeting is None or person is None:
            return None
        if not f.get("role"):
            return translate("audit.d.participant_removed", lang, meeting=short(meeting), name=person)
        role = translate(f"role.{f['role']}", lang)
        return translate("audit.d.participant", lang, meeting=short(meeting), name=person, role=role)
    if row.type == "state.vote":
        question = names.votes.get(f.get("vote_id"))
        if question is None:
            return None
        if f.get("deleted"):
            return translate("audit.d.vote_deleted", lang, question=short(question))
        state = translate(f"vote.state.{f.get('state')}", lang)
        return translate("audit.d.vote", lang, question=short(question), state=state)
    if row.type == "state.auth_session":
        if f.get("deleted"):
            return translate("audit.d.session_ended", lang)
        person = names.users.get(f.get("user_id"))
        return translate("audit.d.session", lang, name=person) if person else None
    if row.type == "state.minutes_version" and not f.get("deleted"):
        meeting = names.meetings.get(f.get("meeting_id"))
        if meeting is None:
            return None
        state = translate(f"minutes.state.{f.get('state')}", lang)
        return translate("audit.d.minutes", lang, meeting=short(meeting), version=f.get("version", ""), state=state)
    return None


def _event(row: AuditEntry, event: dict[str, Any] | None, names: _Names, lang: str) -> str | None:
    meeting = names.meetings.get(row.meeting_id or 0)
    if meeting is None:
        return None
    event = event or {}
    if row.type in _VOTE_EVENTS and (question := names.votes.get(event.get("vote_id"))):
        return translate("audit.d.meeting_vote", lang, meeting=short(meeting), question=short(question))
    if row.type in _DOCUMENT_EVENTS and (title := names.documents.get(event.get("document_id"))):
        return translate("audit.d.meeting_document", lang, meeting=short(meeting), title=short(title))
    person = _person(event)
    if row.type in _PERSON_EVENTS and (name := names.users.get(person.get("user_id")) or person.get("full_name")):
        return translate("audit.d.meeting_person", lang, meeting=short(meeting), name=name)
    return translate("audit.d.meeting", lang, meeting=short(meeting))


def describe(rows: list[AuditEntry], *, lang: str, session: Session) -> list[str]:
    """One line per row, in `lang`: what changed, naming its subject; the stored summary when there is no better."""
    events = _events(session, rows)
    names = _Names(session, rows, events)
    out = []
    for row in rows:
        text = None
        if row.type.startswith("state."):
            text = _state(row, names, lang)
        elif row.event_seq is not None:
            text = _event(row, events.get((row.meeting_id or 0, row.event_seq)), names, lang)
        if text and row.summary.endswith(_ADOPTED):  # a fact taken over when the log was anchored (audit/facts.py)
            text = translate("audit.d.adopted", lang, text=text)
        out.append(text or row.summary)
    return out
