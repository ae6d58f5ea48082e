"""A hall-display link's lifetime is fixed when it is made (meetings/display_rules.py): the end of the organisation's
day of its meeting's scheduled date, or of the day it was made if later. A meeting that never ends, or is
postponed, no longer keeps its links alive; a session that began in time keeps its screen past midnight; a link
cut off by its creator's deactivation or demotion stays dead (the creator's credential epoch); and a showing
screen's `meeting:sync` is refused as soon as its link stops working, not only at the next socket recheck.
Each refusal has its pair: the link that should work does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import socketio
import sqlalchemy as sa
from sqlmodel import Session

from accounts import services as accounts
from accounts.models import GlobalRole
from accounts.schemas import UserUpdate
from app.db import Database
from app.migrate import upgrade
from core import clock
from core.actor import Actor
from core.clock import as_utc
from display import services as display
from infra.settings import Settings
from meetings import display_rules
from meetings import services as meetings
from meetings.models import Meeting
from meetings.schemas import MeetingUpdate
from tests.conftest import running
from tests.factories import call, make_cabinet, make_user

TZ = "Asia/Ho_Chi_Minh"


class Clock:
    """The display rules' clock (and the one a link is made by), moved by whole days."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta(0)
        for module in (display_rules, display):
            monkeypatch.setattr(module, "utcnow", self.now)

    def now(self) -> datetime:
        return clock.utcnow() + self.offset

    def days(self, n: float) -> None:
        self.offset = timedelta(days=n)


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(monkeypatch)


def _works(db: Database, token: str) -> bool:
    return db.run_read(display.resolve_actor, token=token, timezone=TZ) is not None


def _link(db: Database, actor: Actor, meeting_id: int) -> str:
    return call(db, display.create_token, actor=actor, meeting_id=meeting_id, timezone=TZ)["token"]


def _scheduled(db: Database, meeting_id: int, at: datetime) -> None:
    def write(session: Session) -> None:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.scheduled_at = at
        session.add(meeting)

    db.run_write(write)


def test_a_link_of_a_meeting_that_never_ends_dies_at_the_end_of_the_day_it_was_made(db: Database, later: Clock) -> None:
    """The probe's case: scheduled two days ago, still published; a link made today works today only."""
    c = make_cabinet(db)
    _scheduled(db, c.meeting_id, clock.utcnow() - timedelta(days=2))
    token = _link(db, c.staff, c.meeting_id)
    assert _works(db, token)
    later.days(1)
    assert not _works(db, token)
    assert _works(db, _link(db, c.staff, c.meeting_id))  # a link made that day works that day


def test_a_link_made_ahead_works_until_the_end_of_the_scheduled_day(db: Database, later: Clock) -> None:
    c = make_cabinet(db)
    scheduled = clock.utcnow() + timedelta(days=3)
    _scheduled(db, c.meeting_id, scheduled)
    made = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id, timezone=TZ)
    assert made["valid_until"] == clock.iso(display_rules.screen_until(scheduled, TZ))
    later.days(3)
    assert _works(db, made["token"])  # the screen prepared ahead shows on the day
    later.days(4)
    assert not _works(db, made["token"])


def test_a_postponed_meeting_needs_a_new_link(db: Database, later: Clock) -> None:
    c = make_cabinet(db)
    _scheduled(db, c.meeting_id, clock.utcnow())
    old = _link(db, c.staff, c.meeting_id)
    weeks = clock.utcnow() + timedelta(days=14)
    call(db, meetings.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(scheduled_at=weeks))
    later.days(14)
    assert not _works(db, old)  # photographed from the screen in December: nothing in January
    assert _works(db, _link(db, c.staff, c.meeting_id))


def test_a_session_that_began_in_time_keeps_its_screen_past_midnight_then_its_closing_day(
    db: Database, later: Clock
) -> None:
    c = make_cabinet(db)
    token = _link(db, c.staff, c.meeting_id)
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    later.days(1)
    assert _works(db, token)  # still in session after midnight
    later.days(2)
    assert not _works(db, token)  # left "started" for days: not for ever
    later.days(0)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    assert _works(db, token)  # ended today: the closing state shows until midnight
    later.days(1)
    assert not _works(db, token)


def test_a_link_cut_off_by_its_creator_losing_the_right_stays_dead(db: Database) -> None:
    c = make_cabinet(db, start=True)
    admin = make_user(db, GlobalRole.admin)
    other = make_user(db, GlobalRole.secretariat)
    by_staff, by_other = _link(db, c.staff, c.meeting_id), _link(db, other, c.meeting_id)
    for off, on in (
        (UserUpdate(is_active=False), UserUpdate(is_active=True)),
        (UserUpdate(role=GlobalRole.member), UserUpdate(role=GlobalRole.secretariat)),
    ):
        db.run_write(accounts.update_user, actor=admin, user_id=c.staff.id, data=off)
        assert not _works(db, by_staff)
        db.run_write(accounts.update_user, actor=admin, user_id=c.staff.id, data=on)
        assert not _works(db, by_staff)  # restored: the link made before stays dead
        assert _works(db, by_other)  # another creator's link is untouched
        by_staff = _link(db, c.staff, c.meeting_id)  # a new one, made after, works
        assert _works(db, by_staff)


async def test_a_screens_sync_is_refused_once_its_link_stops_working_before_any_recheck(
    settings: Settings, db: Database
) -> None:
    c = make_cabinet(db, start=True)
    admin = make_user(db, GlobalRole.admin)
    kept, lost = _link(db, c.staff, c.meeting_id), _link(db, c.secretary, c.meeting_id)
    async with running(settings.with_(socket_recheck_seconds=3600)) as node:  # no periodic check in this test
        screens = []
        for link in (kept, lost):
            screen = socketio.AsyncClient(reconnection=False)
            gone = asyncio.Event()
            screen.on("disconnect", gone.set)
            await screen.connect(node.url, transports=["websocket"], auth={"display_token": link})
            assert (await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["ok"]
            screens.append((screen, gone))
        try:
            db.run_write(accounts.update_user, actor=admin, user_id=c.secretary.id, data=UserUpdate(is_active=False))
            sync = {"meeting_id": c.meeting_id, "since": 0}
            refused = await screens[1][0].call("meeting:sync", sync, timeout=10)
            assert not refused["ok"] and refused["error"]["code"] == "unauthenticated"
            await asyncio.wait_for(screens[1][1].wait(), 10)  # and the screen goes dark
            assert (await screens[0][0].call("meeting:sync", sync, timeout=10))["ok"]
        finally:
            for screen, _ in screens:
                await screen.disconnect()


def test_the_migration_gives_existing_links_the_lifetime_they_would_have_been_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0022_polls_report_signer")
    ts = sa.DateTime(timezone=True)
    user = sa.table("user", *(sa.column(n) for n in ("id", "username", "full_name", "title", "unit", "role")))
    user.append_column(sa.column("password_hash"))
    user.append_column(sa.column("is_active"))
    user.append_column(sa.column("created_at", ts))
    meeting = sa.table("meeting", *(sa.column(n) for n in ("id", "title", "kind", "mode", "place", "description")))
    for name in ("state", "last_seq", "access_seq"):
        meeting.append_column(sa.column(name))
    meeting.append_column(sa.column("scheduled_at", ts))
    meeting.append_column(sa.column("created_at", ts))
    token = sa.table("display_token", *(sa.column(n) for n in ("id", "meeting_id", "token_hash", "created_by")))
    token.append_column(sa.column("created_at", ts))
    made = datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội
    ahead = datetime(2026, 12, 20, 18, 30, tzinfo=timezone.utc)  # 01:30 on 21 December in Hà Nội
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(user).values(
                id=1,
                username="vp",
                full_name="V P",
                title="",
                unit="",
                role="secretariat",
                password_hash="x",
                is_active=True,
                created_at=made,
            )
        )
        for mid, scheduled in ((1, made - timedelta(days=2)), (2, ahead), (3, None)):
            conn.execute(
                sa.insert(meeting).values(
                    id=mid,
                    title="Họp",
                    kind="regular",
                    mode="in_room",
                    place="",
                    description="",
                    state="published",
                    last_seq=0,
                    access_seq=0,
                    scheduled_at=scheduled,
                    created_at=made,
                )
            )
            conn.execute(
                sa.insert(token).values(id=mid, meeting_id=mid, token_hash=f"h{mid}", created_by=1, created_at=made)
            )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, valid_until, creator_epoch FROM display_token ORDER BY id")).all()
        epochs = conn.execute(sa.text('SELECT credential_epoch FROM "user"')).scalars().all()
    engine.dispose()
    end_of_made_day = datetime(2026, 12, 5, 17, 0, tzinfo=timezone.utc)
    end_of_21st = datetime(2026, 12, 21, 17, 0, tzinfo=timezone.utc)
    assert [(r[0], as_utc(_parse(r[1])), r[2]) for r in rows] == [
        (1, end_of_made_day, 0),  # scheduled before it was made: the day it was made
        (2, end_of_21st, 0),  # made ahead: the scheduled day, on the organisation's clock
        (3, end_of_made_day, 0),  # no date: the day it was made
    ]
    assert epochs == [0]


def _parse(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
