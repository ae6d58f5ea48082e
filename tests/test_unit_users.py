""" "The users of a unit" (notices/access.py) are its active accounts that are not guests: a guest whose record
names the ministry of a task (a Thứ trưởng invited to some other session) is an outsider to the notice, its PDF
and its task notifications, while a member of that ministry reads, downloads and is told."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session, select

from accounts.models import GlobalRole, User
from accounts.schemas import UserCreate
from accounts.services import create_user
from app.db import Database
from core.actor import Actor
from core.clock import local, utcnow
from infra.settings import Settings
from notices.access import unit_users
from notifications.models import Notification
from tests.conftest import running
from tests.factories import PASSWORD
from tests.live import login
from tests.notice_helpers import UNIT, held_meeting, issued_notice, unit_user


def _user(db: Database, username: str, role: GlobalRole, unit: str = UNIT) -> Actor:
    data = UserCreate(
        username=username, full_name="Khách Bộ Tài Chính", title="Thứ trưởng", unit=unit, role=role, password=PASSWORD
    )
    user = db.run_write(create_user, actor=None, data=data, min_length=10, check_names=False).result
    return Actor(id=user.id, username=user.username, full_name=user.full_name, role=role)


def _events(db: Database, user_id: int) -> list[str]:
    with db.read_session() as s:
        return list(s.exec(select(Notification.event).where(Notification.user_id == user_id)).all())


def test_the_users_of_a_unit_are_its_active_non_guest_accounts_however_the_name_is_spelled(db: Database) -> None:
    member = unit_user(db)
    spelled = unit_user(db, unit="bộ  tài CHÍNH", username="cv-hoa", name="Lê Chữ Hoa")
    guest = _user(db, "khach-btc", GlobalRole.guest)
    gone = unit_user(db, username="cv-nghi", name="Người Đã Nghỉ")
    other = unit_user(db, unit="Bộ Y tế", username="cv-yte", name="Cán Bộ Y Tế")

    def retire(session: Session) -> None:
        user = session.get(User, gone.id)
        assert user is not None
        user.is_active = False
        session.add(user)

    db.run_write(retire)
    with db.read_session() as s:
        assert unit_users(s, {UNIT}) == sorted([member.id, spelled.id])
        assert guest.id not in unit_users(s, {UNIT, "Bộ Y tế"}) and other.id in unit_users(s, {"bo y te"})
        assert unit_users(s, set()) == [] and unit_users(s, {"  "}) == []


async def test_a_guest_of_the_unit_is_an_outsider_to_the_notice_its_pdf_and_its_notifications(
    settings: Settings, db: Database
) -> None:
    h = held_meeting(db)  # h.ministry: a member of UNIT, not invited to the meeting
    guest = _user(db, "khach-btc", GlobalRole.guest)  # the same ministry on record, a guest, not invited either
    today = local(utcnow()).date()
    nid, task_id = await asyncio.to_thread(issued_notice, db, h, settings.data_dir, today + timedelta(days=5))
    async with running(settings) as live:  # the notify jobs of the issue run at start
        staff = await login(live.url, h.cabinet.staff.username)
        member, outsider = await login(live.url, h.ministry.username), await login(live.url, guest.username)
        try:
            r = await staff.post(
                f"/api/tasks/{task_id}/extend",
                json={"deadline": str(today + timedelta(days=9)), "reason": "Cần thêm số liệu của địa phương"},
            )
            assert r.status_code == 200, r.text
            await live.app.state.jobs.drain()
            # denied: the guest is refused as one who does not know the notice exists
            for path in (f"/api/notices/{nid}", f"/api/notices/{nid}/pdf"):
                refused = await outsider.get(path)
                assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found", path
            assert (await outsider.get("/api/tasks")).status_code == 403
            assert _events(db, guest.id) == []
            # allowed: a member of the unit reads the notice, downloads the signed PDF and was told
            read = await member.get(f"/api/notices/{nid}")
            assert read.status_code == 200 and read.json()["state"] == "issued"
            pdf = await member.get(f"/api/notices/{nid}/pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            assert sorted(_events(db, h.ministry.id)) == ["notice.issued", "task.assigned", "task.extended"]
        finally:
            for client in (staff, member, outsider):
                await client.aclose()
