"""Notifications: e-mails read from a real SMTP server (Vietnamese subjects RFC 2047-encoded, one per recipient,
preferences honoured), the live bell reaching only its own user, idempotent notify jobs, every route's
denied/allowed pair, and a mail that outlives an SMTP outage and a server restart."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import socketio
from sqlmodel import Session, col, select

from app.db import Database
from infra.settings import Settings
from core.errors import Conflict
from core.outbox import OutboxJob
from meetings import agenda
from meetings import services as meetings
from meetings.schemas import AgendaItemCreate, MeetingUpdate
from notifications import services, texts
from notifications.contract import notify
from notifications.models import Notification, NotificationMail, NotificationProfile
from tests.conftest import LiveServer, free_port, running
from tests.factories import PASSWORD, call, make_cabinet
from tests.live import login
from tests.smtp_inbox import Inbox
from tests.waiting import eventually
from tests.test_outbox_crash import Server, servers  # noqa: F401 - the fixture

TITLE = "Phiên họp thử nghiệm ngân sách"


@pytest.fixture
def inbox() -> Any:
    box = Inbox(free_port()).start()
    yield box
    box.stop()


def set_profile(db: Database, user_id: int, email: str, lang: str = "vi", events: list[str] | None = None) -> None:
    def write(session: Session) -> None:
        services.set_address(session, user_id=user_id, email=email, lang=lang)
        if events is not None:
            p = session.get(NotificationProfile, user_id)
            assert p is not None
            p.email_events = events
            session.add(p)

    db.run_write(write)


def mails(db: Database) -> list[NotificationMail]:
    with db.read_session() as s:
        return list(s.exec(select(NotificationMail).order_by(col(NotificationMail.id))))


async def test_invitations_arrive_by_mail_encoded_once_per_recipient_as_each_chose(
    settings: Settings, db: Database, inbox: Inbox
) -> None:
    c = make_cabinet(db, n_members=3, publish=False)
    vi, en, opted_out = c.members
    set_profile(db, vi.id, "bo.truong.vi@example.gov.vn")
    set_profile(db, en.id, "minister.en@example.gov.vn", lang="en")
    set_profile(db, opted_out.id, "khong.nhan@example.gov.vn", events=["poll.sent", "task.overdue"])
    async with running(settings.with_(smtp_url=inbox.url)) as live:
        staff = await login(live.url, c.staff.username)
        assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
        arrived = await inbox.wait_for(2)
        await live.app.state.jobs.drain()
        member = await login(live.url, vi.username)
        bell = (await member.get("/api/notifications")).json()
        await staff.aclose()
        await member.aclose()
    by_to = {m.to[0]: m for m in arrived}
    assert sorted(by_to) == ["bo.truong.vi@example.gov.vn", "minister.en@example.gov.vn"] and len(arrived) == 2
    mail = by_to["bo.truong.vi@example.gov.vn"]
    assert mail.subject == f"Giấy mời họp: {TITLE}"
    head = mail.raw.split(b"\r\n\r\n")[0]
    assert b"Subject: =?utf-8?b?" in head and head.isascii()  # RFC 2047 encoded-words, folded
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert f"/meetings/{c.meeting_id}" in mail.body and "Phòng họp số 1" in mail.body
    assert by_to["minister.en@example.gov.vn"].subject == f"Meeting invitation: {TITLE}"
    assert all(m.sent_at is not None and m.attempts == 1 for m in mails(db)) and len(mails(db)) == 2
    with db.read_session() as s:  # the one who chose no invitation e-mails still has it in the product
        assert s.exec(select(Notification.event).where(Notification.user_id == opted_out.id)).all() == [
            "meeting.published"
        ]
    assert (
        bell["unread"] == 1
        and bell["items"][0]["subject"] == f"Giấy mời họp: {TITLE}"
        and bell["items"][0]["link"] == f"/meetings/{c.meeting_id}"
    )


class Bell:
    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = url, cookie
        self.sio = socketio.AsyncClient(reconnection=False)
        self.got: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.sio.on("notification", self._on)

    async def _on(self, data: dict[str, Any]) -> None:
        self.got.append(data)
        self.arrived.set()

    async def connect(self) -> "Bell":
        await self.sio.connect(
            self.url, transports=["websocket"], headers={"Cookie": f"ecabinet_session={self.cookie}"}, wait_timeout=10
        )
        return self

    async def next(self, count: int) -> list[dict[str, Any]]:
        async def wait() -> None:
            while len(self.got) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(wait(), 10)
        return self.got


async def test_the_bell_moves_live_for_its_own_user_only(live_server: LiveServer, db: Database) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    member_http, outsider_http = (
        await login(live_server.url, c.members[0].username),
        await login(live_server.url, c.outsider.username),
    )
    member = await Bell(live_server.url, member_http.cookies["ecabinet_session"]).connect()
    outsider = await Bell(live_server.url, outsider_http.cookies["ecabinet_session"]).connect()
    staff = await login(live_server.url, c.staff.username)
    ctx = live_server.app.state.ctx
    try:
        assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
        assert await member.next(1) == [{"type": "notification.created", "event": "meeting.published", "unread": 1}]
        # A barrier for the outsider: a notification of their own arrives, and it is the only thing they got.
        await ctx.write(
            lambda session: notify(
                session,
                event="task.assigned",
                ref="test:barrier:1",
                user_ids=[c.outsider.id],
                params={"unit": "Bộ Tài chính", "what": "Báo cáo", "deadline": "2026-12-31"},
            )
        )
        assert await outsider.next(1) == [{"type": "notification.created", "event": "task.assigned", "unread": 1}]
        # Marking read moves the reader's bell (their other pages) and nobody else's.
        mine = (await member_http.get("/api/notifications")).json()["items"]
        r = await member_http.post("/api/notifications/read", json={"ids": [mine[0]["id"]]})
        assert r.json() == {"unread": 0}
        assert (await member.next(2))[1] == {"type": "notification.read", "event": None, "unread": 0}
        await ctx.write(
            lambda session: notify(
                session,
                event="task.overdue",
                ref="test:barrier:2",
                user_ids=[c.outsider.id],
                params={"unit": "Bộ Tài chính", "what": "Báo cáo", "deadline": "2026-12-01"},
            )
        )
        assert [(g["event"], g["unread"]) for g in await outsider.next(2)] == [
            ("task.assigned", 1),
            ("task.overdue", 2),
        ]
        assert len(member.got) == 2
    finally:
        for client in (member, outsider):
            await client.sio.disconnect()
        for http in (member_http, outsider_http, staff):
            await http.aclose()


async def test_a_notify_job_handled_twice_notifies_once(db: Database) -> None:
    c = make_cabinet(db, n_members=2, publish=False)
    job = {
        "event": "poll.sent",
        "user_ids": [c.members[0].id, c.members[1].id, 10**9],
        "params": {"poll_id": 7, "title": "Lấy ý kiến về dự thảo Nghị định", "deadline_at": "2026-12-10T10:00:00Z"},
        "link": "/polls/7",
    }
    first = db.run_write(services.record, ref="poll.sent:7", jobs=[job, job], tz="Asia/Ho_Chi_Minh", mail=True).result
    again = db.run_write(services.record, ref="poll.sent:7", jobs=[job], tz="Asia/Ho_Chi_Minh", mail=True).result
    assert (
        sorted(first["users"]) == sorted([c.members[0].id, c.members[1].id]) and again["users"] == {}
    )  # unknown user skipped
    with db.read_session() as s:
        rows = s.exec(select(Notification).where(Notification.key == "poll.sent:7")).all()
    assert len(rows) == 2
    text = services.public(rows[0], "vi", "Asia/Ho_Chi_Minh")
    assert text["subject"] == "Phiếu lấy ý kiến: Lấy ý kiến về dự thảo Nghị định" and "17:00 10/12/2026" in text["body"]
    assert call(db, services.list_mine, actor=c.members[0], lang="en", tz="UTC")["items"][0]["subject"].startswith(
        "Written opinion poll"
    )


async def test_every_notification_route_has_a_denied_and_an_allowed_pair(live_server: LiveServer, db: Database) -> None:
    c = make_cabinet(db, n_members=2, publish=False)
    url = live_server.url
    anon = httpx.AsyncClient(base_url=url)
    member, other = await login(url, c.members[0].username), await login(url, c.members[1].username)
    staff = await login(url, c.staff.username)
    try:
        assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
        await live_server.app.state.jobs.drain()
        # GET /api/notifications
        assert (await anon.get("/api/notifications")).status_code == 401
        listed = (await member.get("/api/notifications?limit=5&unread=true")).json()
        assert listed["unread"] == 1 and len(listed["items"]) == 1
        assert (await member.get("/api/notifications?limit=0")).status_code == 422
        # POST /api/notifications/read: no CSRF token 403, someone else's id changes nothing / own 200
        nid = listed["items"][0]["id"]
        bare = httpx.AsyncClient(base_url=url, cookies=member.cookies)
        assert (await bare.post("/api/notifications/read", json={"all": True})).status_code == 403
        await bare.aclose()
        assert (await other.post("/api/notifications/read", json={"ids": [nid]})).json() == {
            "unread": 1
        }  # their own count
        assert (await member.get("/api/notifications")).json()["unread"] == 1
        assert (await member.post("/api/notifications/read", json={})).status_code == 422
        assert (await member.post("/api/notifications/read", json={"ids": [0]})).status_code == 422
        assert (await member.post("/api/notifications/read", json={"all": True})).json() == {"unread": 0}
        # GET / PUT /api/notifications/preferences
        assert (await anon.get("/api/notifications/preferences")).status_code == 401
        prefs = (await member.get("/api/notifications/preferences")).json()
        assert (
            prefs["email"] is None
            and all(e["email"] for e in prefs["events"])
            and len(prefs["events"]) == len(texts.EVENTS)
        )
        assert prefs["pending_email"] is None and prefs["pending_expires_at"] is None
        assert (await anon.put("/api/notifications/preferences", json={"email": "a@b.vn"})).status_code == 401
        # a new address is mailed a confirmation link: refused (409, nothing saved) without a mail server
        wanted = {"email": "bo.truong@mof.gov.vn", "password": PASSWORD, "lang": "en", "email_events": ["task.overdue"]}
        r = await member.put("/api/notifications/preferences", json=wanted)
        assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_state"
        r = await member.put("/api/notifications/preferences", json={"lang": "en", "email_events": ["task.overdue"]})
        assert r.status_code == 200 and r.json()["email"] is None and r.json()["lang"] == "en"
        assert [e["event"] for e in r.json()["events"] if e["email"]] == ["task.overdue"]
        # POST /api/notifications/email/confirm, DELETE /api/notifications/email/pending (their pairs:
        # tests/test_email_confirm.py)
        token = {"token": "A" * 43}
        assert (await anon.post("/api/notifications/email/confirm", json=token)).status_code == 401
        assert (await member.post("/api/notifications/email/confirm", json=token)).status_code == 404
        assert (await anon.delete("/api/notifications/email/pending")).status_code == 401
        assert (await member.delete("/api/notifications/email/pending")).status_code == 404
        assert (await member.put("/api/notifications/preferences", json={"email": "khong-phai-thu"})).status_code == 422
        assert (
            await member.put("/api/notifications/preferences", json={"email_events": ["vote.opened"]})
        ).status_code == 422
        assert (await member.put("/api/notifications/preferences", json={"email": "a\x00@b.vn"})).status_code == 422
    finally:
        for client in (anon, member, other, staff):
            await client.aclose()


async def test_a_mail_waits_out_an_smtp_outage_and_a_server_restart(
    settings: Settings, db: Database, servers: list[Server]
) -> None:
    c = make_cabinet(db, n_members=2, publish=False)
    for i, m in enumerate(c.members):
        set_profile(db, m.id, f"thanhvien{i}@example.gov.vn")
    smtp_port = free_port()  # nothing listens there yet: the SMTP server is down
    env = {"ECABINET_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "ECABINET_MAIL_RETRY_SECONDS": "0.2"}
    first = Server(settings, **env)
    servers.append(first)
    await first.started()
    staff = await login(first.url, c.staff.username)
    assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
    await staff.aclose()

    def both_failed_twice() -> list[NotificationMail]:
        found = [m for m in mails(db) if m.attempts >= 2]
        return found if len(found) == 2 else []

    failed = await eventually(both_failed_twice)
    assert all(m.sent_at is None and m.last_error for m in failed)
    first.kill()  # SIGKILL while the mails are still waiting for their next try
    inbox = Inbox(smtp_port).start()  # the SMTP server is back
    try:
        second = Server(settings, **env)
        servers.append(second)
        await second.started()
        arrived = await inbox.wait_for(2)
        assert sorted(m.to[0] for m in arrived) == ["thanhvien0@example.gov.vn", "thanhvien1@example.gov.vn"]
        assert {m.subject for m in arrived} == {f"Giấy mời họp: {TITLE}"}

        def all_sent() -> list[NotificationMail]:
            found = mails(db)
            return found if all(m.sent_at for m in found) else []

        sent = await eventually(all_sent)
        assert len(sent) == 2 and all(
            m.attempts >= 3 and m.last_error == "" for m in sent
        )  # failed twice or more, then sent
    finally:
        inbox.stop()


def notify_jobs(db: Database, event: str) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [
            j.payload
            for j in s.exec(select(OutboxJob).where(OutboxJob.kind == "notify").order_by(col(OutboxJob.id)))
            if j.payload["event"] == event
        ]


async def test_a_published_meetings_time_place_or_agenda_change_tells_its_participants(db: Database) -> None:
    c = make_cabinet(db, n_members=2, publish=False)
    call(
        db, meetings.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(place="Phòng họp số 2")
    )
    assert notify_jobs(db, "meeting.changed") == []  # a draft: nobody sees it yet
    call(db, meetings.publish_meeting, actor=c.staff, meeting_id=c.meeting_id)
    invited = notify_jobs(db, "meeting.published")
    everyone = sorted(a.id for a in (c.chair, c.secretary, c.guest, *c.members))
    assert (
        len(invited) == 1 and invited[0]["user_ids"] == everyone and invited[0]["link"] == f"/meetings/{c.meeting_id}"
    )
    call(
        db,
        meetings.update_meeting,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=MeetingUpdate(description="Ghi chú mới"),
    )
    call(
        db, meetings.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(place="Phòng họp số 2")
    )  # same place
    assert notify_jobs(db, "meeting.changed") == []
    when = datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc)
    call(
        db,
        meetings.update_meeting,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=MeetingUpdate(place="Phòng họp số 3", scheduled_at=when),
    )
    call(
        db,
        agenda.add_item,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=AgendaItemCreate(title="Nội dung bổ sung", presenter="Bộ Tư pháp"),
    )
    changed = notify_jobs(db, "meeting.changed")
    assert [j["params"]["changes"] for j in changed] == [["time", "place"], ["agenda"]]
    assert all(j["user_ids"] == everyone for j in changed)
    subject, body = texts.render("meeting.changed", changed[0]["params"], "vi", "Asia/Ho_Chi_Minh")
    assert subject == f"Thay đổi cuộc họp: {TITLE}"
    assert "(thời gian, địa điểm)" in body and "09:00 20/12/2026" in body and "Phòng họp số 3" in body


@pytest.mark.service_pair("meetings.services.update_meeting")
async def test_a_meeting_under_way_keeps_its_time_and_nobody_is_told_it_moved(db: Database) -> None:
    """A reviewer moved a meeting in session to a time three days past: every minister in the room was mailed that
    it moved. Once started its time is refused (409, nothing changed, nobody told); a move of room still is told."""
    c = make_cabinet(db, n_members=2, start=True)
    when = datetime(2026, 12, 3, 2, 30, tzinfo=timezone.utc)
    before = call(db, meetings.get_meeting, actor=c.staff, meeting_id=c.meeting_id)["scheduled_at"]
    with pytest.raises(Conflict) as refused:
        call(db, meetings.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(scheduled_at=when))
    assert refused.value.message.key == meetings.MOVED_WHILE_ON
    assert call(db, meetings.get_meeting, actor=c.staff, meeting_id=c.meeting_id)["scheduled_at"] == before
    assert notify_jobs(db, "meeting.changed") == []
    # the page sends the time it shows with every save: the same time is no change
    same = datetime.fromisoformat(before) if before else None
    call(
        db,
        meetings.update_meeting,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=MeetingUpdate(place="Phòng họp số 2", scheduled_at=same),
    )
    changed = notify_jobs(db, "meeting.changed")
    assert [j["params"]["changes"] for j in changed] == [["place"]]


async def test_without_an_smtp_server_the_start_up_says_notifications_stay_in_the_product(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    set_profile(db, c.members[0].id, "co.dia.chi@example.gov.vn")
    with caplog.at_level("INFO", logger="ecabinet.mail"):
        async with running(settings) as live:
            staff = await login(live.url, c.staff.username)
            assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
            await live.app.state.jobs.drain()
            await staff.aclose()
    said = [r.getMessage() for r in caplog.records if r.name == "ecabinet.mail"]
    assert said == ["ECABINET_SMTP_URL chưa được đặt: thông báo chỉ hiển thị trong ứng dụng, không gửi thư điện tử."]
    with db.read_session() as s:  # in the product, and no mail queued for later
        assert len(s.exec(select(Notification).where(Notification.user_id == c.members[0].id)).all()) == 1
    assert mails(db) == []
