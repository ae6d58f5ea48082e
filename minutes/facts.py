"""What the minutes are made of, read from the stored state of one meeting into plain frozen values.

Every row read here is the result of the meeting's events (the services write rows and events together), so
the facts are a function of the event log; every list is sorted on stable keys, so reading twice gives equal
values. minutes/builder.py turns facts + the secretariat's edits into text without touching the database.
A fact is stated at its moment, not as today's rows read: the roles it rests on are replayed from the log
(minutes/roles.py: the members at the opening, during the session, at each vote's close), the attendance from
its history, the quorum at the opening as recorded with the start (minutes/quorum.py), and the people as they were
at the meeting: names, titles and units frozen on the participants' rows when it ended (`identity`), not as their
accounts read today.

The signed minutes go to every participant, guests included, so nothing is read here that any of them may not
know (the hall display never downloads them): no absence reason (only that one was given), no document a reader
may not know of (not its title, its ink, nor a count). What the secretariat writes into the draft by hand is its
own decision, shown to the signers as it will be signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from accounts.models import User
from annotations.models import Annotation
from core.clock import as_utc
from documents.models import Document
from meetings.access import load_meeting
from meetings.attendance import history as attendance_history
from meetings.events import MeetingEvent
from meetings.models import (
    VOTING_ROLES,
    AgendaItem,
    Attendance,
    AttendanceChange,
    MeetingRole,
    Participant,
)
from minutes import roles as session_roles
from minutes.quorum import QuorumFact, quorum
from minutes.conclusions import conclusion_texts
from minutes.models import MinutesEdit
from speakers.models import SpeakerRequest
from votes.ballot import board
from votes.models import Ballot, Vote, VoteKind, VoteOption, VoterRecord, VoteState

_ROLE_ORDER = {MeetingRole.chair: 0, MeetingRole.member: 1, MeetingRole.secretary: 2, MeetingRole.guest: 3}


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    title: str
    role: str
    attendance: str
    # Absent with a reason given. The reason itself is not read: the signed minutes go to every participant, guests
    # included, and why someone is absent (often their health or family) is not for guests anywhere else
    # (meetings/serialize.py _INTERNAL); it stays in the attendance records for those who keep them.
    excused: bool = False
    deputy_name: str = ""
    unit: str = ""  # cơ quan / đơn vị (shown in full for guests)
    # Every change of their attendance, oldest first: (when, attendance from then on[, its note: REASON_GIVEN for an
    # absence with a reason, the name of a deputy]).
    history: tuple[tuple[datetime, str] | tuple[datetime, str, str], ...] = ()
    # The roles they held during the session, oldest first: (from when, role), the first at the opening (or at their
    # invitation during the session); () before the session. `role` above is the current one (who signs).
    roles: tuple[tuple[datetime, str], ...] = ()
    spoke: bool = False  # they had the floor themselves (not through a deputy)


@dataclass(frozen=True)
class Item:
    id: int
    position: int
    title: str
    presenter: str
    # When it was the current item (from, until), in the order the session took it up (the meeting's events).
    taken: tuple[tuple[datetime, datetime | None], ...] = ()


@dataclass(frozen=True)
class SpeechFact:
    item_id: int
    name: str
    title: str
    deputy_name: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class OptionFact:
    id: int
    label: str
    kind: str


@dataclass(frozen=True)
class VoteFact:
    id: int
    item_id: int
    question: str
    kind: str
    rule: str
    state: str
    options: tuple[OptionFact, ...]
    result: dict[str, Any] | None
    named: tuple[tuple[str, int], ...] = ()  # (name, option id), named votes only
    not_voted: tuple[str, ...] = ()  # members who cast no ballot, named votes only (others: the count only)
    not_voted_count: int = 0
    board_fingerprint: str = ""  # secret votes: the published board's fingerprint (docs/ballot-spec.md §6)


@dataclass(frozen=True)
class Facts:
    meeting_id: int
    title: str
    place: str
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    people: tuple[Person, ...]
    items: tuple[Item, ...]
    documents: dict[int, tuple[str, ...]] = field(default_factory=dict)
    speeches: tuple[SpeechFact, ...] = ()
    votes: tuple[VoteFact, ...] = ()
    conclusions: dict[int, str] = field(default_factory=dict)
    # Shared presenter ink: (document title, page, strokes, presenters) in document/page order.
    shared_ink: tuple[tuple[str, int, int, str], ...] = ()
    quorum: QuorumFact | None = None


def gather(session: Session, meeting_id: int) -> Facts:
    meeting = load_meeting(session, meeting_id)
    rows = session.exec(
        select(Participant, User)
        .join(User, col(User.id) == Participant.user_id)
        .where(Participant.meeting_id == meeting_id)
    ).all()
    changes = attendance_history(session, meeting_id)
    started_at = as_utc(meeting.started_at)
    roles = session_roles.read(session, meeting_id)
    # In protocol order by the role each held first in the session (today's role before the session): someone who
    # became the secretary during it is listed where the members are, as the attendance list counts them.
    rows = sorted(rows, key=lambda r: (_ROLE_ORDER[roles.first_role(r[0].user_id, MeetingRole(r[0].role))], r[0].id))
    who = {p.user_id: identity(p, u) for p, u in rows}
    speeches = _speeches(session, meeting_id, who)
    spoke = {uid for uid, s in speeches if not s.deputy_name}
    people = tuple(
        Person(
            p.user_id,
            who[p.user_id].name,
            who[p.user_id].title,
            MeetingRole(p.role).value,
            str(getattr(p.attendance, "value", p.attendance)),
            bool(p.absence_reason) and p.attendance == Attendance.absent,
            p.deputy_name,
            who[p.user_id].unit,
            tuple(_change(c) for c in changes.get(p.user_id, [])),
            roles.timeline(p.user_id, started_at),
            p.user_id in spoke,
        )
        for p, u in rows
    )
    names = {p.user_id: p.name for p in people}
    order = {p.user_id: i for i, p in enumerate(people)}
    taken = _taken(session, meeting_id)
    items = tuple(
        Item(i.id or 0, i.position, i.title, i.presenter, tuple(taken.get(i.id or 0, ())))
        for i in session.exec(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(col(AgendaItem.position), col(AgendaItem.id))
        )
    )
    item_ids = {i.id for i in items}
    guests = any(MeetingRole(p.role) == MeetingRole.guest for p, _ in rows)
    docs: dict[int, list[str]] = {}
    for d in session.exec(
        select(Document).where(Document.meeting_id == meeting_id).order_by(col(Document.position), col(Document.id))
    ):
        if d.agenda_item_id in item_ids and nameable(d, guests):
            docs.setdefault(d.agenda_item_id, []).append(d.title)
    return Facts(
        meeting_id=meeting_id,
        title=meeting.title,
        place=meeting.place,
        scheduled_at=as_utc(meeting.scheduled_at),
        started_at=started_at,
        ended_at=as_utc(meeting.ended_at),
        people=people,
        items=items,
        documents={k: tuple(v) for k, v in docs.items()},
        speeches=tuple(s for _, s in speeches),
        votes=_votes(session, meeting_id, order, names, roles),
        conclusions={k: v for k, v in conclusion_texts(session, meeting_id).items() if k in item_ids},
        shared_ink=_shared_ink(session, meeting_id, guests, names),
        quorum=quorum(session, [p for p, _ in rows], meeting_id, started_at, roles, names),
    )


@dataclass(frozen=True)
class Identity:
    name: str
    title: str
    unit: str


def identity(p: Participant, u: User) -> Identity:
    """Who the participant was at the meeting: as frozen on their row when it ended (meetings/services.py
    freeze_identities), else (still live, or rows written outside the services) as their account reads today. A rename,
    a new title or unit after the end does not rewrite the record."""
    if p.name_at_end is None:
        return Identity(u.full_name, u.title, u.unit)
    return Identity(p.name_at_end, p.title_at_end or "", p.unit_at_end or "")


def _speeches(session: Session, meeting_id: int, who: dict[int, Identity]) -> list[tuple[int, SpeechFact]]:
    """(speaker's user id, speech) of every speech that began, in the order they began; the speaker named as at the
    meeting (`who`, the participants'; anyone else as their account reads)."""
    out = []
    for r, u in session.exec(
        select(SpeakerRequest, User)
        .join(User, col(User.id) == SpeakerRequest.user_id)
        .where(
            SpeakerRequest.meeting_id == meeting_id,
            SpeakerRequest.started_at.is_not(None),  # type: ignore[union-attr]
        )
        .order_by(col(SpeakerRequest.started_at), col(SpeakerRequest.id))
    ):
        i = who.get(r.user_id) or Identity(u.full_name, u.title, u.unit)
        started = as_utc(r.started_at)
        assert started is not None  # selected so
        speech = SpeechFact(r.agenda_item_id, i.name, i.title, r.deputy_name, started, as_utc(r.ended_at))
        out.append((r.user_id, speech))
    return out


# What the minutes say of an absence that came with a reason: that there was one, never the reason.
REASON_GIVEN = "có lý do"


def _change(c: AttendanceChange) -> tuple[datetime, str, str]:
    """One change of someone's attendance as the minutes may know it: an absence's free-text reason is replaced by
    REASON_GIVEN (a deputy's name is public: the attendance list names deputies)."""
    state = str(getattr(c.attendance, "value", c.attendance))
    note = (REASON_GIVEN if c.note else "") if state == Attendance.absent.value else c.note
    at = as_utc(c.at)
    assert at is not None  # a stored change has its time
    return (at, state, note)


_CURRENT_ITEM_EVENTS = ("meeting.started", "agenda.current_changed", "meeting.ended")


def _taken(session: Session, meeting_id: int) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Each item's stretches as the current item, from the events that set it (the start takes up the first, the
    chair's moves the next, the end closes the last): what the session did, in its order, not the agenda's."""
    rows = session.exec(
        select(MeetingEvent.type, MeetingEvent.data, MeetingEvent.at)
        .where(MeetingEvent.meeting_id == meeting_id, col(MeetingEvent.type).in_(_CURRENT_ITEM_EVENTS))
        .order_by(col(MeetingEvent.seq))
    ).all()
    spans: dict[int, list[tuple[datetime, datetime | None]]] = {}
    current: int | None = None
    for type_, data, at in rows:
        moment = as_utc(at)
        assert moment is not None  # a stored event has its time
        if type_ == "agenda.current_changed":
            new = data.get("current_item_id")
        elif type_ == "meeting.started":
            new = (data.get("meeting") or {}).get("current_item_id")
        else:
            new = None
        if new == current:
            continue
        if current is not None:
            start, _ = spans[current][-1]
            spans[current][-1] = (start, moment)
        if new is not None:
            spans.setdefault(int(new), []).append((moment, None))
        current = new
    return spans


# Every participant receives the signed minutes, guests included: a document is named in them only where each of
# them may know it (documents/access.py: a restricted document's title is its list's alone; a guest sees the
# documents shared with guests). Of the others the minutes say nothing, not even that they exist or how many there
# are (a count would tell a member off a restricted list, or a guest, what their own list hides); the secretariat
# may name one in the draft by hand, and the signers then sign what they were shown.


def nameable(doc: Document, guests: bool) -> bool:
    return not doc.restricted and (doc.share_with_guests or not guests)


def _shared_ink(
    session: Session, meeting_id: int, guests: bool, people: dict[int, str]
) -> tuple[tuple[str, int, int, str], ...]:
    """Each shared page's strokes and their authors, named as at the meeting (`people`: the participants'; a
    presenter who was not one, as their account reads)."""
    rows = session.exec(
        select(Document, Annotation.page, Annotation.author_id, User.full_name)
        .join(Document, col(Document.id) == Annotation.document_id)
        .join(User, col(User.id) == Annotation.author_id)
        .where(Annotation.meeting_id == meeting_id, col(Annotation.shared).is_(True))
        .order_by(col(Document.position), col(Annotation.document_id), col(Annotation.page), col(Annotation.id))
    ).all()
    pages: dict[tuple[int, int], tuple[str, int, list[str]]] = {}
    for doc, page, author, current in rows:
        doc_id, name = doc.id or 0, people.get(author, current)
        if not nameable(doc, guests):
            continue  # nothing of a paper the minutes cannot name: not its ink, its pages, nor that it exists
        title_, count, names = pages.get((doc_id, page), (doc.title, 0, []))
        pages[(doc_id, page)] = (title_, count + 1, names if name in names else [*names, name])
    return tuple((t, page, n, ", ".join(names)) for (_, page), (t, n, names) in pages.items())


def _not_voted(session: Session, vote_id: int, names: dict[int, str], members: set[int]) -> list[str]:
    """The vote's members (chair + members when it closed, in the minutes' order) with no voter record for it."""
    voted = set(session.exec(select(VoterRecord.user_id).where(VoterRecord.vote_id == vote_id)))
    return [name for uid, name in names.items() if uid in members and uid not in voted]


def _votes(
    session: Session, meeting_id: int, order: dict[int, int], names: dict[int, str], roles: session_roles.SessionRoles
) -> tuple[VoteFact, ...]:
    """Each vote's figures as the close counted them: its members are those of the close (votes/services.py counts
    the members and those present then), whatever roles changed before or after."""
    current = {uid for uid, role in roles.current.items() if role in VOTING_ROLES}
    votes = list(
        session.exec(
            select(Vote)
            .where(Vote.meeting_id == meeting_id, Vote.state != VoteState.draft)
            .order_by(col(Vote.opened_at), col(Vote.id))
        )
    )
    ids = [v.id for v in votes]
    options: dict[int, list[OptionFact]] = {}
    if ids:
        for o in session.exec(
            select(VoteOption).where(col(VoteOption.vote_id).in_(ids)).order_by(col(VoteOption.position))
        ):
            options.setdefault(o.vote_id, []).append(
                OptionFact(o.id or 0, o.label, str(getattr(o.kind, "value", o.kind)))
            )
    out = []
    for v in votes:
        named: tuple[tuple[str, int], ...] = ()
        closed = v.state in (VoteState.closed, VoteState.published)
        if v.kind == VoteKind.named and closed:
            ballots = session.exec(
                select(Ballot.user_id, User.full_name, Ballot.option_id)
                .join(User, col(User.id) == Ballot.user_id)
                .where(Ballot.vote_id == v.id)
            ).all()
            named = tuple(  # named as at the meeting (a voter is a participant: `names`)
                (names.get(uid, name), oid)
                for uid, name, oid in sorted(ballots, key=lambda b: (order.get(b[0], 10**9), b[0]))
            )
        members = roles.members_at_close(session, meeting_id, v.id or 0) if closed else None
        missing = _not_voted(session, v.id or 0, names, current if members is None else members) if closed else []
        out.append(
            VoteFact(
                v.id or 0,
                v.agenda_item_id,
                v.question,
                VoteKind(v.kind).value,
                str(getattr(v.rule, "value", v.rule)),
                VoteState(v.state).value,
                tuple(options.get(v.id or 0, ())),
                v.result if closed else None,
                named,
                tuple(missing) if v.kind == VoteKind.named else (),
                len(missing),
                (board.fingerprint(session, v) or "") if closed and v.kind == VoteKind.secret and v.result else "",
            )
        )
    return tuple(out)


def edits_of(session: Session, meeting_id: int) -> dict[str, str]:
    return {
        e.section_key: e.text for e in session.exec(select(MinutesEdit).where(MinutesEdit.meeting_id == meeting_id))
    }
