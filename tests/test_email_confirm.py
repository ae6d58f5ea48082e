"""The link that confirms a new notification address (notifications/address.py), on a real server, a real SQLite
file and a real SMTP server: only its signed-in owner confirms, once, with a POST (opening the page changes
nothing); an unknown or someone else's token is 404, a used, replaced, cancelled or expired one 410; notifications
keep going to the old address until then; the token is never stored, only its SHA-256."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.db import Database
from core.clock import utcnow
from core.outbox import OutboxJob
from infra.settings import Settings
from notifications import address, services
from notifications.models import AddressChange, NotificationMail
from tests.conftest import LiveServer, free_port, running
from tests.factories import PASSWORD, call, make_cabinet
from tests.live import login
from tests.smtp_inbox import Inbox
from tests.test_mail_address_change import CONFIRM, LINK, NEW, OLD, PREFS, audited, token_of

PENDING = "/api/notifications/email/pending"
TITLE = "Phiên họp thử nghiệm ngân sách"


@pytest.fixture
def inbox() -> Any:
    box = Inbox(free_port()).start()
    yield box
    box.stop()


async def request(client: httpx.AsyncClient, email: str = NEW) -> dict[str, Any]:
    r = await client.put(PREFS, json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def changes(db: Database, user_id: int) -> list[AddressChange]:
    with db.read_session() as s:
        q = select(AddressChange).where(AddressChange.user_id == user_id).order_by(col(AddressChange.id))
        return list(s.exec(q))


async def test_notifications_go_to_the_old_address_until_the_new_one_is_confirmed(
    settings: Settings, db: Database, inbox: Inbox
) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    member = c.members[0]
    db.run_write(services.set_address, user_id=member.id, email=OLD)
    async with running(settings.with_(smtp_url=inbox.url, public_url="https://ecabinet.gov.vn")) as live:
        client, staff = await login(live.url, member.username), await login(live.url, c.staff.username)
        try:
            await request(client)
            [confirmation] = await inbox.wait_for(1)
            assert confirmation.to == [NEW]
            link = f"https://ecabinet.gov.vn/notifications/email/confirm/{token_of(confirmation)}"
            assert f"Xác nhận / Confirm: {link}" in confirmation.body
            assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
            invitation = (await inbox.wait_for(2))[1]
            assert invitation.to == [OLD] and invitation.subject == f"Giấy mời họp: {TITLE}"
            assert (await client.post(CONFIRM, json={"token": token_of(confirmation)})).status_code == 200
            told = (await inbox.wait_for(3))[2]
            assert told.to == [OLD] and told.subject == "Địa chỉ thư nhận thông báo e-Cabinet đã được đổi"
            moved = await staff.patch(f"/api/meetings/{c.meeting_id}", json={"place": "Phòng họp số 2"})
            assert moved.status_code == 200, moved.text
            changed = (await inbox.wait_for(4))[3]
            assert changed.to == [NEW] and changed.subject == f"Thay đổi cuộc họp: {TITLE}"
        finally:
            await client.aclose()
            await staff.aclose()
    assert [m.to for m in inbox.mails] == [[NEW], [OLD], [OLD], [NEW]]  # nothing else went to the new address


@pytest.mark.service_pair("notifications.services.email_change", "notifications.services.confirm_email_change")
async def test_only_the_signed_in_owner_confirms_once_and_opening_the_link_changes_nothing(
    settings: Settings, db: Database, inbox: Inbox
) -> None:
    c = make_cabinet(db, n_members=2, publish=False)
    owner, other = c.members
    db.run_write(services.set_address, user_id=owner.id, email=OLD)
    async with running(settings.with_(smtp_url=inbox.url)) as live:
        client, intruder = await login(live.url, owner.username), await login(live.url, other.username)
        anon = httpx.AsyncClient(base_url=live.url)
        try:
            await request(client)
            token = token_of((await inbox.wait_for(1))[0])
            page = f"/notifications/email/confirm/{token}"
            # opening the link: the owner sees what he confirms; nothing changed (a mail scanner opens it too)
            shown = await client.get(page)
            assert shown.status_code == 200 and NEW in shown.text and 'data-testid="email-confirm-ok"' in shown.text
            assert (await anon.get(page)).status_code == 303  # to the login, which comes back here
            assert (await anon.get(page)).headers["location"] == f"/login?next={page}"
            assert (await client.get(PREFS)).json()["email"] == OLD
            # denied: someone else, signed in, with the owner's token: the answer of a token that does not exist
            theirs, unknown = await intruder.get(page), await intruder.get("/notifications/email/confirm/" + "A" * 43)
            assert theirs.status_code == unknown.status_code == 404 and NEW not in theirs.text
            assert theirs.text.replace(token, "A" * 43) == unknown.text
            refused = await intruder.post(CONFIRM, json={"token": token})
            assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
            assert (await anon.post(CONFIRM, json={"token": token})).status_code == 401
            bare = httpx.AsyncClient(base_url=live.url, cookies=client.cookies)  # no CSRF token: no confirmation
            assert (await bare.post(CONFIRM, json={"token": token})).status_code == 403
            await bare.aclose()
            for junk in ("", "kurz", "x" * 101, "ngân-sách-" + "a" * 20, 12345):
                assert (await client.post(CONFIRM, json={"token": junk})).status_code == 422, junk
            assert (await client.get(PREFS)).json()["pending_email"] == NEW
            # allowed: the owner, once
            done = await client.post(CONFIRM, json={"token": token})
            assert done.status_code == 200 and done.json()["email"] == NEW
            again = await client.post(CONFIRM, json={"token": token})
            assert again.status_code == 410 and again.json()["error"]["code"] == "gone"
            assert "chỉ dùng được một lần" in again.json()["error"]["message"]
            used = await client.get(page)
            assert used.status_code == 410 and 'data-testid="error-message"' in used.text
        finally:
            for http in (client, intruder, anon):
                await http.aclose()
    assert len(audited(db, owner.id)) == 1 and audited(db, other.id) == []


async def test_a_newer_request_replaces_the_older_an_expired_link_is_gone_and_requests_are_capped(
    settings: Settings, db: Database, inbox: Inbox
) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    member = c.members[0]
    async with running(settings.with_(smtp_url=inbox.url)) as live:
        client = await login(live.url, member.username)
        try:
            await request(client, "mot@example.gov.vn")
            first = token_of((await inbox.wait_for(1))[0])
            assert (await request(client, "hai@example.gov.vn"))["pending_email"] == "hai@example.gov.vn"
            second_mail = (await inbox.wait_for(2))[1]
            assert second_mail.to == ["hai@example.gov.vn"]
            replaced = await client.post(CONFIRM, json={"token": first})
            assert replaced.status_code == 410 and "thư xác nhận mới nhất" in replaced.json()["error"]["message"]

            # the second expires
            def expire(session: Session) -> None:
                row = session.exec(select(AddressChange).where(col(AddressChange.ended_at).is_(None))).one()
                row.expires_at = utcnow() - timedelta(seconds=1)
                session.add(row)

            db.run_write(expire)
            expired = await client.post(CONFIRM, json={"token": token_of(second_mail)})
            assert expired.status_code == 410 and "hết hạn" in expired.json()["error"]["message"]
            prefs = (await client.get(PREFS)).json()
            assert prefs["email"] is None and prefs["pending_email"] is None
            assert (await client.delete(PENDING)).status_code == 404  # an expired one is nothing to cancel
            # five requests a day: each one mails an address the user typed
            for n in range(3):
                await request(client, f"ba{n}@example.gov.vn")
            capped = await client.put(PREFS, json={"email": "sau@example.gov.vn", "password": PASSWORD})
            assert capped.status_code == 429 and int(capped.headers["retry-after"]) > 23 * 3600
        finally:
            await client.aclose()
    rows = changes(db, member.id)
    assert [r.outcome for r in rows] == ["replaced", "replaced", "replaced", "replaced", ""]
    assert sum(r.ended_at is None for r in rows) == 1


@pytest.mark.service_pair("notifications.services.cancel_email_change")
async def test_a_pending_address_is_cancelled_by_its_owner_only(live_server: LiveServer, db: Database) -> None:
    c = make_cabinet(db, n_members=2, publish=False)
    owner, other = c.members
    row = db.run_write(lambda session: address.request(session, owner, NEW, utcnow())).result
    token = db.run_write(lambda session: address.mint(session, row.id, NEW, utcnow())).result
    client, intruder = await login(live_server.url, owner.username), await login(live_server.url, other.username)
    try:
        assert (await client.get(PREFS)).json()["pending_email"] == NEW
        # denied: someone else has nothing pending; the owner's stays
        nothing = await intruder.delete(PENDING)
        assert nothing.status_code == 404 and nothing.json()["error"]["code"] == "not_found"
        assert (await client.get(PREFS)).json()["pending_email"] == NEW
        assert (await client.delete(PENDING, headers={"X-CSRF-Token": ""})).status_code == 403
        assert (await client.request("DELETE", PENDING, json={"email": NEW})).status_code == 422
        # allowed: the owner
        gone = await client.delete(PENDING)
        assert gone.status_code == 200 and gone.json()["pending_email"] is None and gone.json()["email"] is None
        late = await client.post(CONFIRM, json={"token": token})
        assert late.status_code == 410 and "đã bị hủy" in late.json()["error"]["message"]
        assert (await client.delete(PENDING)).status_code == 404
    finally:
        await client.aclose()
        await intruder.aclose()
    assert len(audited(db, owner.id, "user.email_change_cancelled")) == 1 and audited(db, owner.id) == []


async def test_the_token_is_minted_when_sent_never_stored_and_a_dropped_change_mails_nothing(db: Database) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    member = c.members[0]
    db.run_write(lambda session: address.request(session, member, NEW, utcnow()))
    with db.read_session() as s:
        [job] = s.exec(select(OutboxJob).where(OutboxJob.kind == "notify")).all()
    done = db.run_write(services.record, ref=job.ref, jobs=[job.payload], tz="Asia/Ho_Chi_Minh", mail=True).result
    assert done["mails"] == 1
    claim = dict(limit=10, lease=0.0)
    [first] = db.run_write(services.claim_due, now=utcnow(), **claim).result
    [second] = db.run_write(services.claim_due, now=utcnow() + timedelta(seconds=1), **claim).result  # a retry
    tokens = [LINK.findall(m["body"])[0] for m in (first, second)]
    assert first["to"] == NEW and tokens[0] != tokens[1]
    [row] = changes(db, member.id)
    assert row.token_hash == hashlib.sha256(tokens[1].encode()).hexdigest()  # only the last mail's link works
    with db.read_session() as s:
        stored = " ".join(m.body for m in s.exec(select(NotificationMail)))
        stored += " ".join(str(j.payload) for j in s.exec(select(OutboxJob)))
    assert address.TOKEN in stored and not any(t in stored for t in tokens)
    # cancelled before the mail went out: it is dropped, not sent
    call(db, services.cancel_email_change, actor=member)
    assert db.run_write(services.claim_due, now=utcnow() + timedelta(seconds=2), **claim).result == []
    with db.read_session() as s:
        assert s.exec(select(NotificationMail)).all() == []


async def test_removing_the_address_is_at_once_and_ends_a_pending_change(
    settings: Settings, db: Database, inbox: Inbox
) -> None:
    c = make_cabinet(db, n_members=1, publish=False)
    member = c.members[0]
    db.run_write(services.set_address, user_id=member.id, email=OLD)
    async with running(settings.with_(smtp_url=inbox.url)) as live:
        client = await login(live.url, member.username)
        try:
            await request(client)
            token = token_of((await inbox.wait_for(1))[0])
            removed = await client.put(PREFS, json={"email": "", "password": PASSWORD})
            assert removed.status_code == 200
            assert removed.json()["email"] is None and removed.json()["pending_email"] is None
            told = (await inbox.wait_for(2))[1]
            assert told.to == [OLD] and "sang —" in told.body
            assert (await client.post(CONFIRM, json={"token": token})).status_code == 410
        finally:
            await client.aclose()
    assert [r.outcome for r in changes(db, member.id)] == ["removed"]
    [entry] = audited(db, member.id)
    assert entry.summary.endswith(f"{OLD} → (bỏ)")


def test_the_confirmation_texts_name_the_address_and_the_deadline_on_the_organisations_clock() -> None:
    from notifications import texts

    at = utcnow().replace(hour=20, minute=30)
    params = {"new_email": NEW, "expires_at": at.isoformat()}
    subject, body = texts.render("account.email_confirm", params, "en", "Asia/Ho_Chi_Minh")
    assert subject == "Confirm your e-Cabinet notification address" and NEW in body and "03:30, " in body
    vi = texts.render("account.email_confirm", params, "vi", "Asia/Ho_Chi_Minh")[1]
    assert "trước 03:30 " in vi and "bỏ qua thư này" in vi
