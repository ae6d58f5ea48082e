"""Look-alikes over the real server: an account, a meeting's participant or a vote's choice that reads like another
(invisible characters, odd spaces, Cyrillic or Greek letters) is refused; a vote's label always says its kind's
meaning, so the minutes cannot print "Tán thành: 6 … Kết quả: Không thông qua"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from accounts.models import GlobalRole
from minutes import services as minutes
from tests.conftest import LiveServer
from tests.factories import make_cabinet, make_user
from tests.live import live_client, login
from tests.vote_helpers import option, present_cabinet

NEW = "Mật-khẩu-tài-khoản-mới-2027"


def _person(username: str, full_name: str, title: str = "Thủ tướng Chính phủ", **extra: Any) -> dict[str, Any]:
    return {"username": username, "full_name": full_name, "title": title, "password": NEW, **extra}


def _refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()["error"]
    assert body["code"] == code, body
    return body


@pytest.mark.service_pair("accounts.services.create_user")
async def test_an_account_that_reads_like_another_is_refused(live_server: LiveServer) -> None:
    db = live_server.db
    staff_user = make_user(db, GlobalRole.secretariat, "Nguyễn Thị Văn Phòng")
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    admin, staff = [await login(live_server.url, a.username) for a in (admin_user, staff_user)]
    try:
        pm = _person("thutuong01", "Nguyễn Văn Thành", unit="Chính phủ")
        assert (await staff.post("/api/users", json=pm)).status_code == 403  # denied: not the administrator
        assert (await admin.post("/api/users", json=pm)).status_code == 201, "allowed"
        # invisible characters and odd spaces: refused at the edge, the code point named
        for ch in ("\u2060", "\u200b", "\u034f", "\u200e", "\u00ad", "\U0001f600", "\ue000", "\u0627"):
            body = _refused(
                await admin.post("/api/users", json=_person("thutuong02", f"Nguyễn Văn Thành{ch}")),
                422,
                "validation_failed",
            )
            assert f"U+{ord(ch):04X}" in str(body["details"]), body
        # a Cyrillic letter inside a Latin word
        _refused(
            await admin.post("/api/users", json=_person("thutuong02", "Nguyễn Văn Тhành")), 422, "validation_failed"
        )
        # whole words in look-alike letters (Cyrillic Н о а): the same skeleton, written otherwise
        assert (await admin.post("/api/users", json=_person("vutruong01", "Hoa Lan", "Vụ trưởng"))).status_code == 201
        body = _refused(
            await admin.post("/api/users", json=_person("vutruong02", "Ноа Lan", "Vụ trưởng")), 409, "invalid_state"
        )
        assert "ký tự khác" in body["message"]
        # the same name and title as an active account, whatever the unit: never two of them, even confirmed
        spaced = _person("thutuong02", "Nguyễn  Văn\u00a0Thành", "THỦ TƯỚNG  Chính phủ", same_name_confirmed=True)
        _refused(await admin.post("/api/users", json=spaced), 409, "invalid_state")
        # the same name only: a namesake happens; the administrator confirms it is another person
        namesake = _person("chuyenvien01", "Nguyễn Văn Thành", "Chuyên viên", unit="Bộ Tài chính")
        body = _refused(await admin.post("/api/users", json=namesake), 409, "same_name")
        assert body["details"]["accounts"][0]["title"] == "Thủ tướng Chính phủ"
        made = await admin.post("/api/users", json={**namesake, "same_name_confirmed": True})
        assert made.status_code == 201, made.text
        # a username that reads like another
        body = _refused(
            await admin.post("/api/users", json=_person("thutuong0l", "Trần Văn Khác", "Chuyên viên")),
            409,
            "invalid_state",
        )
        assert "thutuong01" in body["message"]
        names = [u["full_name"] for u in (await admin.get("/api/accounts")).json()]
        assert names.count("Nguyễn Văn Thành") == 2 and "Ноа Lan" not in names
    finally:
        for client in (admin, staff):
            await client.aclose()


@pytest.mark.service_pair("meetings.participation.invite")
async def test_a_participant_whose_name_reads_like_another_participants_is_not_invited(
    live_server: LiveServer,
) -> None:
    db = live_server.db
    c = make_cabinet(db, n_members=1, n_items=1)
    impostor = make_user(db, GlobalRole.member, "Lê Thư Ký")
    with db.engine.begin() as conn:  # an account made before look-alikes were refused (Cyrillic Н о а)
        conn.execute(text("UPDATE user SET full_name = :n WHERE id = :id"), {"n": "Ноа Ký", "id": impostor.id})
        conn.execute(text("UPDATE user SET full_name = :n WHERE id = :id"), {"n": "Hoa Ký", "id": c.outsider.id})
    staff, member = [await login(live_server.url, a.username) for a in (c.staff, c.members[0])]
    url = f"/api/meetings/{c.meeting_id}/participants"
    try:
        assert (await member.post(url, json={"user_id": c.outsider.id})).status_code == 403  # denied
        assert (await staff.post(url, json={"user_id": c.outsider.id})).status_code == 201  # allowed
        body = _refused(await staff.post(url, json={"user_id": impostor.id}), 409, "invalid_state")
        assert "giống hệt" in body["message"]
    finally:
        for client in (staff, member):
            await client.aclose()


def _vote(item: int, options: list[dict[str, str]]) -> dict[str, Any]:
    return {"agenda_item_id": item, "question": "Thông qua đề án?", "kind": "named", "options": options}


SWAPPED = [{"label": "Không tán thành", "kind": "yes"}, {"label": "Tán thành", "kind": "no"}]
LOOK_ALIKE_NO = ["Tán thành\u200b", "Tán\u00a0thành", "Tán  thành", "Tán thành\u2060", "Tán thành\u034f", "Tán thаnh"]


@pytest.mark.service_pair("votes.services.create_vote")
async def test_a_vote_choice_says_its_kind_and_the_minutes_count_by_it(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db, n_members=3)
    sec, member = [await login(live_server.url, a.username) for a in (c.secretary, c.members[0])]
    url = f"/api/meetings/{c.meeting_id}/votes"
    item = c.item_ids[0]
    try:
        assert (await member.post(url, json={"agenda_item_id": item, "question": "Câu hỏi?"})).status_code == 403
        body = _refused(await sec.post(url, json=_vote(item, SWAPPED)), 422, "validation_failed")
        assert {d["field"] for d in body["details"]} == {"options.0.label", "options.1.label"}
        for label in LOOK_ALIKE_NO:  # two buttons that would both read "Tán thành"
            r = await sec.post(
                url, json=_vote(item, [{"label": "Tán thành", "kind": "yes"}, {"label": label, "kind": "no"}])
            )
            _refused(r, 422, "validation_failed")
        r = await sec.post(url, json=_vote(item, [{"label": "Có", "kind": "yes"}, {"label": "Không", "kind": "no"}]))
        assert "Tán thành" in str(_refused(r, 422, "validation_failed")["details"])  # the kind's wordings are named
        # allowed: the wordings of each kind, stored in their own spelling
        wordings = [
            {"label": "đồng  ý", "kind": "yes"},
            {"label": "KHÔNG\u00a0ĐỒNG Ý", "kind": "no"},
            {"label": "Không ý kiến", "kind": "abstain"},
        ]
        made = await sec.post(url, json=_vote(item, wordings))
        assert made.status_code == 201, made.text
        vote = made.json()
        assert [o["label"] for o in vote["options"]] == ["Đồng ý", "Không đồng ý", "Không ý kiến"]
        patched = await sec.patch(f"/api/votes/{vote['id']}", json={"options": SWAPPED})
        _refused(patched, 422, "validation_failed")
        tablets = [await live_client(live_server.url, a.username) for a in (c.chair, *c.members)]
        try:
            for tablet, _ in tablets:
                assert (await tablet.join(c.meeting_id))["ok"]
            assert (await tablets[0][0].call("vote:open", {"vote_id": vote["id"]}))["ok"]
            for tablet, _ in tablets:
                cast = await tablet.call("vote:cast", {"vote_id": vote["id"], "option_id": option(vote, "yes")})
                assert cast["ok"], cast
            closed = await tablets[0][0].call("vote:close", {"vote_id": vote["id"]})
            assert closed["ok"] and closed["data"]["result"]["passed"], closed
        finally:
            for tablet, http in tablets:
                await tablet.close()
                await http.aclose()
        draft = db.run_read(minutes.get_draft, actor=c.secretary, meeting_id=c.meeting_id)
        record = "\n".join(s["effective"] for s in draft["sections"] if s["key"].endswith(":votes"))
        assert "Đồng ý: 4; Không đồng ý: 0; Không ý kiến: 0." in record, record
        assert "Kết quả: Thông qua" in record, record
    finally:
        for client in (sec, member):
            await client.aclose()
