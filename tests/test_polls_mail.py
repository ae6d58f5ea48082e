"""A written poll reaches its voters by e-mail end to end: approved through the API, its notify job turned into
one mail per voter (in each voter's language), and its result mailed once the poll closes by itself at its
deadline. The poll and the notification packages meet only through the outbox's "notify" contract."""

from __future__ import annotations

from typing import Any

from app.db import Database
from infra.settings import Settings
from tests.conftest import free_port, running
from tests.live import login
from tests.poll_helpers import QUESTIONS, Board, in_, make_board
from tests.smtp_inbox import Inbox
from tests.test_notifications import set_profile
from tests.waiting import eventually

TITLE = "Lấy ý kiến về dự thảo Nghị định đầu tư công"


def _body(b: Board, seconds: float) -> dict[str, Any]:
    return {
        "title": TITLE,
        "questions": [{"text": q} for q in QUESTIONS],
        "voter_ids": [m.id for m in b.voters],
        "chair_id": b.chair.id,
        "deadline_at": in_(seconds).isoformat(),
        "silence_counts_as": "agree",
    }


async def test_a_sent_poll_and_its_result_reach_each_voter_by_mail_in_their_language(
    settings: Settings, db: Database
) -> None:
    b = make_board(db, n_members=2)
    addresses = {
        b.chair.id: "thu.tuong@example.gov.vn",
        b.members[0].id: "bo.truong@example.gov.vn",
        b.members[1].id: "minister@example.gov.vn",
    }
    for user_id, email in addresses.items():
        set_profile(db, user_id, email, lang="en" if email.startswith("minister") else "vi")
    inbox = Inbox(free_port()).start()
    try:
        async with running(settings.with_(smtp_url=inbox.url)) as live:
            staff, chair = await login(live.url, b.staff.username), await login(live.url, b.chair.username)
            poll = (await staff.post("/api/polls", json=_body(b, 8))).json()
            assert (await staff.post(f"/api/polls/{poll['id']}/submit")).status_code == 200
            assert (await chair.post(f"/api/polls/{poll['id']}/approve")).status_code == 200
            sent = await inbox.wait_for(4)  # the chair was told first that the poll waits for his approval
            asked = [m for m in sent if m.subject == f"Phiếu lấy ý kiến chờ duyệt: {TITLE}"]
            assert [m.to[0] for m in asked] == ["thu.tuong@example.gov.vn"]
            by_to = {m.to[0]: m for m in sent if m not in asked}
            assert sorted(by_to) == sorted(addresses.values()) and len(sent) == 4  # one mail per voter
            assert by_to["bo.truong@example.gov.vn"].subject == f"Phiếu lấy ý kiến: {TITLE}"
            assert by_to["minister@example.gov.vn"].subject == f"Written opinion poll: {TITLE}"
            assert f"/polls/{poll['id']}" in by_to["bo.truong@example.gov.vn"].body
            # Nobody answers: the poll closes by itself at its deadline, and its result is mailed too.
            await eventually(lambda: _closed(chair, poll["id"]), "the poll closed by itself", timeout=30)
            mails = await inbox.wait_for(7, timeout=30)
            results = [m for m in mails[4:] if m.to[0] == "bo.truong@example.gov.vn"]
            assert [m.subject for m in results] == [f"Kết quả lấy ý kiến: {TITLE}"]
            await staff.aclose()
            await chair.aclose()
    finally:
        inbox.stop()


async def _closed(client: Any, poll_id: int) -> bool:
    return (await client.get(f"/api/polls/{poll_id}")).json()["state"] in ("closed", "decided")
