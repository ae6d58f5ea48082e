"""Where a member's notifications are mailed changes only with their current password (counted against the
password change's failure budget) and once the new address is confirmed from the link mailed to it: the request and
the change are audited, and the old address is told; and a subject is always encoded, so encoded-word syntax in a
title reads back as the title (all read from a real SMTP server). The confirmation link itself:
tests/test_email_confirm.py."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from app.db import Database
from core.clock import local, utcnow
from infra.settings import Settings
from ledger.models import AuditEntry
from meetings import services as meetings
from meetings.schemas import MeetingUpdate
from notifications import services
from tests.conftest import free_port, running
from tests.factories import PASSWORD, call, make_cabinet
from tests.live import login
from tests.smtp_inbox import Inbox, Received

OLD, NEW = "bo.truong@mof.gov.vn", "nguoi.khac@example.com"
PREFS = "/api/notifications/preferences"
CONFIRM = "/api/notifications/email/confirm"
LINK = re.compile(r"/notifications/email/confirm/([A-Za-z0-9_-]+)")


@pytest.fixture
def inbox() -> Any:
    box = Inbox(free_port()).start()
    yield box
    box.stop()


def audited(db: Database, user_id: int, type_: str = "user.email_changed") -> list[AuditEntry]:
    with db.read_session() as s:
        q = select(AuditEntry).where(AuditEntry.type == type_, AuditEntry.actor_id == user_id)
        return list(s.exec(q.order_by(col(AuditEntry.id))))


def token_of(mail: Received) -> str:
    found = LINK.findall(mail.body)
    assert found and len(set(found)) == 1, mail.body
    return found[0]


@pytest.mark.service_pair("notifications.services.set_preferences")
async def test_a_new_address_takes_the_password_and_its_confirmation_then_the_old_address_is_told(
    settings: Settings, db: Database, inbox: Inbox
) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    member = c.members[0]
    db.run_write(services.set_address, user_id=member.id, email=OLD)
    async with running(settings.with_(smtp_url=inbox.url)) as live:
        client = await login(live.url, member.username)
        try:
            # denied: no password (the frontend's old request), a wrong one: nothing changes, nothing is sent
            bare = await client.put(PREFS, json={"email": NEW})
            assert bare.status_code == 422 and bare.json()["error"]["details"][0]["field"] == "password"
            wrong = await client.put(PREFS, json={"email": NEW, "password": "Không-phải-mật-khẩu-1"})
            assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
            prefs = (await client.get(PREFS)).json()
            assert prefs["email"] == OLD and prefs["pending_email"] is None and audited(db, member.id) == []
            # the rest of the preferences need no password while the address stays
            assert (await client.put(PREFS, json={"email": OLD, "lang": "vi"})).status_code == 200
            # allowed: with the current password the new address is requested, not used yet
            requested = await client.put(PREFS, json={"email": NEW, "password": PASSWORD})
            assert requested.status_code == 200, requested.text
            assert requested.json()["email"] == OLD and requested.json()["pending_email"] == NEW
            assert requested.json()["pending_expires_at"].endswith("Z")
            [confirmation] = await inbox.wait_for(1)
            assert confirmation.to == [NEW] and confirmation.subject == "Xác nhận địa chỉ thư nhận thông báo e-Cabinet"
            assert audited(db, member.id) == [] and len(audited(db, member.id, "user.email_change_requested")) == 1
            # the signed-in owner confirms with the link's token: now the address changes
            before = utcnow()
            confirmed = await client.post(CONFIRM, json={"token": token_of(confirmation)})
            after = utcnow()
            assert confirmed.status_code == 200, confirmed.text
            assert confirmed.json()["email"] == NEW and confirmed.json()["pending_email"] is None
            mails = await inbox.wait_for(2)
            [entry] = audited(db, member.id)
            # the wrong guesses above count against the password change's budget (login_max_failures = 5)
            for _ in range(4):
                r = await client.put(PREFS, json={"email": OLD, "password": "Không-phải-mật-khẩu-1"})
                assert r.status_code == 403
            spent = await client.post("/api/me/password", json={"current": PASSWORD, "new": "Cầu-Long-Biên-gió-9x"})
            assert spent.status_code == 429 and spent.json()["error"]["code"] == "rate_limited"
            assert (await client.put(PREFS, json={"email": OLD, "password": PASSWORD})).status_code == 429
        finally:
            await client.aclose()
    mail = mails[1]
    assert mail.to == [OLD] and mail.subject == "Địa chỉ thư nhận thông báo e-Cabinet đã được đổi"
    at = {local(t).strftime("%H:%M %d/%m/%Y") for t in (before, after)}  # the organisation's clock
    assert any(f"lúc {moment}" in mail.body for moment in at), mail.body
    assert "n***@example.com" in mail.body and NEW not in mail.body and OLD in mail.body
    assert entry.summary.endswith(f"{OLD} → {NEW}") and member.username in entry.summary
    # the user sees both in the product too, and neither is a choice among the events they may turn off
    with db.read_session() as s:
        prefs = services.get_preferences(session=s, actor=member)
        bell = services.list_mine(session=s, actor=member, lang="vi", tz=settings.timezone)
    assert {"account.email_changed", "account.email_confirm"}.isdisjoint(e["event"] for e in prefs["events"])
    assert [n["event"] for n in bell["items"]] == ["account.email_changed", "account.email_confirm"]
    assert not LINK.search(bell["items"][1]["body"])  # the link is in the mailbox only


async def test_without_a_mail_server_a_new_address_is_refused_and_removing_one_is_not(
    settings: Settings, db: Database
) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    member = c.members[0]
    db.run_write(services.set_address, user_id=member.id, email=OLD)
    async with running(settings) as live:
        client = await login(live.url, member.username)
        try:
            r = await client.put(PREFS, json={"email": NEW, "password": PASSWORD})
            assert r.status_code == 409 and "máy chủ gửi thư" in r.json()["error"]["message"]
            removed = await client.put(PREFS, json={"email": "", "password": PASSWORD})
            assert removed.status_code == 200 and removed.json()["email"] is None
        finally:
            await client.aclose()
    [entry] = audited(db, member.id)
    assert entry.summary.endswith(f"{OLD} → (bỏ)")


async def test_an_encoded_word_in_a_title_arrives_as_the_title(settings: Settings, db: Database, inbox: Inbox) -> None:
    word = "=?utf-8?b?" + base64.b64encode("Họp kín".encode()).decode() + "?="
    title = f"Budget review {word} 2027"  # all ASCII: an English subject used to be set as it is
    c = make_cabinet(db, n_members=1, publish=False)
    call(db, meetings.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(title=title))
    db.run_write(services.set_address, user_id=c.members[0].id, email="minister.en@example.gov.vn", lang="en")
    async with running(settings.with_(smtp_url=inbox.url)) as live:
        staff = await login(live.url, c.staff.username)
        assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
        [mail] = await inbox.wait_for(1)
        await staff.aclose()
    assert mail.subject == f"Meeting invitation: {title}"
    assert b"Subject: =?utf-8?" in mail.raw.split(b"\r\n\r\n")[0]


def test_every_event_the_page_offers_can_be_saved() -> None:
    from typing import get_args

    from notifications import texts
    from notifications.schemas import Event

    assert set(get_args(Event)) == set(texts.EVENTS)  # the page sends each one it lists (a missing one: 422)


def test_the_notice_times_are_on_the_organisations_clock() -> None:
    from notifications import texts

    at = utcnow().replace(hour=20, minute=30) - timedelta(days=1)
    subject, body = texts.render(
        "account.email_changed",
        {"at": at.isoformat(), "old_email": OLD, "new_email": ""},
        "en",
        "Asia/Ho_Chi_Minh",
    )
    assert subject == "Your e-Cabinet notification address was changed"
    assert f"at 03:30, {local(at).strftime('%d/%m/%Y')}" in body and "to —" in body
