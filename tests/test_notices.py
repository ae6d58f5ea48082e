"""Conclusion notices end to end over HTTP on the real server: drafted from an ended meeting's conclusions, due
on the 5th working day, submitted, approved (numbered), signed (PDF text and signature checked), tasks assigned
to a ministry whose users report progress; every route with its denied/allowed pair on the way."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta

import httpx
from sqlmodel import Session, col, select

from app.db import Database
from infra.settings import Settings
from ledger.models import AuditEntry
from core.clock import local, utcnow
from meetings.models import Meeting
from ledger import keystore
from minutes import signing
from notices import services
from notices.models import ConclusionNotice, NoticeTask
from notifications.models import Notification
from tests.conftest import LiveServer, running
from tests.factories import PASSWORD, call
from tests.live import login
from tests.minutes_helpers import signer_keys
from tests.notice_helpers import UNIT, held_meeting, issued_notice, unit_user
from tests.waiting import eventually
from workdays.services import add_working_days


async def anonymous(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=20)


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def events_of(db: Database, user_id: int) -> list[str]:
    with db.read_session() as s:
        return [
            n.event
            for n in s.exec(select(Notification).where(Notification.user_id == user_id).order_by(col(Notification.id)))
        ]


async def test_notice_lifecycle_with_denied_and_allowed_pairs(live_server: LiveServer, db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    signer_keys(live_server.settings.data_dir, c)
    url = live_server.url
    staff, chair, member = (
        await login(url, c.staff.username),
        await login(url, c.chair.username),
        await login(url, c.members[0].username),
    )
    outsider, guest, ministry = (
        await login(url, c.outsider.username),
        await login(url, c.guest.username),
        await login(url, h.ministry.username),
    )
    anon = await anonymous(url)

    # GET /api/notices: anonymous 401 / staff 200
    assert (await anon.get("/api/notices")).status_code == 401
    assert (await staff.get("/api/notices")).json() == []

    # POST /api/notices: a member 403 / the secretariat 201, drafted from the conclusions
    assert (await member.post("/api/notices", json={"meeting_id": c.meeting_id})).status_code == 403
    r = await staff.post("/api/notices", json={"meeting_id": c.meeting_id})
    assert r.status_code == 201, r.text
    notice = r.json()
    nid = notice["id"]
    assert notice["state"] == "draft" and len(notice["conclusions"]) == 2
    assert "Sau khi nghe Bộ Tài chính báo cáo" in notice["intro"] and notice["intro"].endswith("đã kết luận như sau:")
    with db.read_session() as s:
        meeting = s.get(Meeting, c.meeting_id)
        assert meeting is not None and meeting.ended_at is not None
        ended = local(meeting.ended_at).date()
        assert notice["due_on"] == add_working_days(s, ended, 5).isoformat()
    assert notice["working_days_left"] == 5 and not notice["at_risk"] and not notice["late"]
    assert (await staff.post("/api/notices", json={"meeting_id": c.meeting_id})).status_code == 409  # one per meeting

    # GET /api/notices/{id}: before issue an outsider and a participant alike 404 as an id never used / the chair 200
    never = await outsider.get(f"/api/notices/{nid + 1000}")
    for who in (outsider, member):
        hidden = await who.get(f"/api/notices/{nid}")
        assert (hidden.status_code, hidden.text) == (404, never.text), hidden.text
    assert (await chair.get(f"/api/notices/{nid}")).json()["is_chair"] is True

    # PATCH: the chair 403 / the secretariat 200 (NFC, one more conclusion)
    edit = {"conclusions": [*(x["text"] for x in notice["conclusions"]), "Giao Văn phòng Chính phu\u0309 theo dõi."]}
    assert (await chair.patch(f"/api/notices/{nid}", json=edit)).status_code == 403
    r = await staff.patch(f"/api/notices/{nid}", json=edit)
    assert r.status_code == 200 and r.json()["conclusions"][2]["text"] == "Giao Văn phòng Chính phủ theo dõi."
    assert (await staff.patch(f"/api/notices/{nid}", json={"subject": "a\x00b"})).status_code == 422

    # POST tasks: the chair 403 / the secretariat 201; a past deadline 422
    today = local(utcnow()).date()  # the organisation's day, not the machine's
    deadline = (today + timedelta(days=10)).isoformat()
    task = {
        "conclusion_id": notice["conclusions"][0]["id"],
        "unit": UNIT,
        "what": "Hoàn thiện hồ sơ dự toán, trình ký.",
        "deadline": deadline,
    }
    assert (await chair.post(f"/api/notices/{nid}/tasks", json=task)).status_code == 403
    r = await staff.post(f"/api/notices/{nid}/tasks", json=task)
    assert r.status_code == 201, r.text
    task_id = r.json()["id"]
    past = {**task, "deadline": (today - timedelta(days=1)).isoformat()}
    assert (await staff.post(f"/api/notices/{nid}/tasks", json=past)).status_code == 422
    assert (await staff.post(f"/api/notices/{nid}/tasks", json={**task, "deadline": "2026-13-01"})).status_code == 422

    # submit: a participant 403 / the secretariat 200; return: the secretariat 403 / the chair 200
    assert (await member.post(f"/api/notices/{nid}/submit")).status_code == 403
    assert (await staff.post(f"/api/notices/{nid}/submit")).json()["state"] == "submitted"
    assert (await staff.post(f"/api/notices/{nid}/return")).status_code == 403
    assert (await chair.post(f"/api/notices/{nid}/return")).json()["state"] == "draft"
    assert (await staff.post(f"/api/notices/{nid}/submit")).status_code == 200

    # approve: the secretariat 403 / the chair 200, numbered from the register
    assert (await staff.post(f"/api/notices/{nid}/approve")).status_code == 403
    r = await chair.post(f"/api/notices/{nid}/approve")
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["number"] == "01/TB-TTg"
    assert (await staff.patch(f"/api/notices/{nid}", json={"subject": "Khác"})).status_code == 409  # frozen
    assert (await staff.post(f"/api/notices/{nid}/tasks", json=task)).status_code == 409

    # pdf: to a participant before issue as an id never used (404) / the chair 200
    assert (await member.get(f"/api/notices/{nid}/pdf")).status_code == 404
    final = (await chair.get(f"/api/notices/{nid}/pdf")).content
    text = pdftotext(final)
    for words in (
        "THỦ TƯỚNG CHÍNH PHỦ",  # the chair signs it: issued under the Prime Minister's name (docs)
        "Số: 01/TB-TTg",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "THÔNG BÁO",
        "Kết luận của",
        "Sau khi nghe Bộ Tài chính báo cáo",
        "đã kết luận như sau:",
        "1. Về Nội dung 1: dự toán ngân sách: Chính phủ thống nhất thông qua dự toán",
        "Giao Văn phòng Chính phủ theo dõi.",
        "Phân công thực hiện",
        UNIT,
        "Hoàn thiện hồ sơ dự toán",
        "Nơi nhận:",
        c.chair.full_name,
    ):
        assert words in text, words

    # sign: the secretariat 403, a wrong password 403 / the chair 200: issued
    assert (await staff.post(f"/api/notices/{nid}/sign", json={"password": PASSWORD})).status_code == 403
    assert (await chair.post(f"/api/notices/{nid}/sign", json={"password": "sai-mat-khau"})).status_code == 403
    r = await chair.post(f"/api/notices/{nid}/sign", json={"password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "issued" and r.json()["issued_on_time"] is True
    signed = (await member.get(f"/api/notices/{nid}/pdf")).content  # participants read it once issued
    roots = keystore.KeyStore.for_data_dir(live_server.settings.data_dir).trusted_roots()
    report = await asyncio.to_thread(signing.verify_pdf, signed, roots)  # pyHanko runs its own loop
    assert report.ok and report.verdict == "valid" and report.signatures[0].signer_name == c.chair.full_name
    assert "Đã ký số" in pdftotext(signed) and signed.startswith(final)  # the very bytes the chair read
    # the signature adds no second name: the signer block prints it once, below the field
    assert pdftotext(signed).count(c.chair.full_name) == text.count(c.chair.full_name)
    assert "BỘ TRƯỞNG" in text  # this test's chair is titled "Bộ trưởng": his own title above the signature

    # the ministry reads the notice and its task; GET /api/tasks: a guest 403 / the ministry 200
    assert (await guest.get("/api/tasks")).status_code == 403
    mine = (await ministry.get("/api/tasks")).json()
    assert [t["id"] for t in mine] == [task_id]
    assert (await ministry.get(f"/api/notices/{nid}")).status_code == 200
    assert (await outsider.get("/api/tasks")).json() == []

    # reports: the secretariat 403 (not the unit) / the ministry 201; reading them: an outsider 404 / staff 200
    rep = {"percent": 40, "note": "Đã gửi dự thảo lấy ý kiến các bộ."}
    assert (await staff.post(f"/api/tasks/{task_id}/reports", json=rep)).status_code == 403
    assert (await outsider.post(f"/api/tasks/{task_id}/reports", json=rep)).status_code == 404
    r = await ministry.post(f"/api/tasks/{task_id}/reports", json=rep)
    assert r.status_code == 201 and r.json()["percent"] == 40 and r.json()["state"] == "open"
    assert (await ministry.post(f"/api/tasks/{task_id}/reports", json={"percent": 101})).status_code == 422
    assert (await outsider.get(f"/api/tasks/{task_id}/reports")).status_code == 404
    assert [x["note"] for x in (await staff.get(f"/api/tasks/{task_id}/reports")).json()] == [rep["note"]]

    # dashboard: a guest 403 / the secretariat 200
    assert (await guest.get("/api/tasks/dashboard")).status_code == 403
    dash = (await staff.get("/api/tasks/dashboard")).json()
    assert dash["notices"] == [] and [t["id"] for t in dash["tasks"]["open"]] == [task_id]

    r = await ministry.post(f"/api/tasks/{task_id}/reports", json={"percent": 0, "done": True})
    assert r.json()["state"] == "done" and r.json()["percent"] == 100
    assert (await ministry.post(f"/api/tasks/{task_id}/reports", json=rep)).status_code == 409

    # pages: /notices/dashboard a guest 403 / staff 200; /notices/{id} an outsider 404 / the chair 200
    assert (await guest.get("/notices/dashboard")).status_code == 403
    assert (await staff.get("/notices/dashboard")).status_code == 200
    assert (await outsider.get(f"/notices/{nid}")).status_code == 404
    page = await chair.get(f"/notices/{nid}")
    assert page.status_code == 200 and "01/TB-TTg" in page.text

    # notifications: the participants heard of the issue, the ministry of the notice and of its task
    await live_server.app.state.jobs.drain()
    assert events_of(db, c.members[0].id) == ["notice.issued"]  # (the meeting was published before this server ran)
    assert sorted(events_of(db, h.ministry.id)) == ["notice.issued", "task.assigned"]
    assert "notice.issued" not in events_of(db, c.chair.id)  # the signer is not told of their own act
    for client in (staff, chair, member, outsider, guest, ministry, anon):
        await client.aclose()


def overdue_rows(db: Database) -> list[tuple[int, str]]:
    with db.read_session() as s:
        return sorted(
            (n.user_id, n.key) for n in s.exec(select(Notification).where(Notification.event == "task.overdue"))
        )


async def test_an_overdue_task_is_told_once_by_the_check_that_runs_by_itself(settings: Settings, db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    colleague = unit_user(db, name="Lê Thị Cùng Bộ")
    today = local(utcnow()).date()
    nid, task_id = await asyncio.to_thread(issued_notice, db, h, settings.data_dir, today + timedelta(days=2))
    late_settings = settings.with_(task_check_seconds=3600)  # only the start-up run can tell it in this test
    async with running(late_settings) as live:  # not due yet: nothing is told
        staff = await login(live.url, c.staff.username)
        assert (await staff.get("/api/tasks?state=late")).json() == []
        await staff.aclose()
    assert overdue_rows(db) == []

    def time_passes(session: Session) -> None:  # the deadline is now behind us (the clock cannot be moved)
        task = session.get(NoticeTask, task_id)
        assert task is not None
        task.deadline = today - timedelta(days=1)
        session.add(task)

    db.run_write(time_passes)
    expected = sorted((uid, f"task.overdue:{task_id}") for uid in (h.ministry.id, colleague.id, c.staff.id, c.chair.id))
    async with running(late_settings) as live:  # the check runs at start-up, by itself
        await eventually(lambda: overdue_rows(db) == expected)
        chair, ministry = await login(live.url, c.chair.username), await login(live.url, h.ministry.username)
        dash = (await chair.get("/api/tasks/dashboard")).json()
        assert [t["id"] for t in dash["tasks"]["late"]] == [task_id] and dash["counts"]["tasks_late"] == 1
        assert [t["id"] for t in (await ministry.get("/api/tasks?state=late")).json()] == [task_id]
        mine = (await ministry.get("/api/notifications")).json()["items"]
        assert mine[0]["subject"] == "Nhiệm vụ quá hạn: Báo cáo kết quả rà soát dự toán"
        await chair.aclose()
        await ministry.aclose()
    async with running(late_settings) as live:  # a restart checks again and tells nobody twice
        await live.app.state.jobs.drain()
    assert overdue_rows(db) == expected
    with db.read_session() as s:
        audit = s.exec(select(AuditEntry.type).where(AuditEntry.type == "task.overdue")).all()
    assert audit == ["task.overdue"]


async def test_the_dashboard_warns_before_the_five_working_days_run_out(live_server: LiveServer, db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    nid = call(db, services.create_notice, actor=c.staff, meeting_id=c.meeting_id)["id"]

    def ended_days_ago(session: Session, days: int) -> None:
        notice = session.get(ConclusionNotice, nid)
        assert notice is not None
        with db.read_session() as s:
            notice.due_on = add_working_days(s, local(utcnow()).date(), days)  # as if the meeting was held earlier
        session.add(notice)

    staff = await login(live_server.url, c.staff.username)
    try:
        db.run_write(ended_days_ago, days=1)
        pending = (await staff.get("/api/tasks/dashboard")).json()["notices"]
        assert [(n["id"], n["working_days_left"], n["at_risk"], n["late"]) for n in pending] == [(nid, 1, True, False)]
        db.run_write(ended_days_ago, days=-1)
        dash = (await staff.get("/api/tasks/dashboard")).json()
        assert dash["notices"][0]["late"] is True and dash["counts"]["notices_at_risk"] == 1
        page = await staff.get("/notices/dashboard")
        assert page.status_code == 200 and '"late": true' in page.text
    finally:
        await staff.aclose()
