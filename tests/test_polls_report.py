"""The summary report of a written poll ("Số: NN/BC-VPCP") is a report of the Government Office: its head (Bộ
trưởng, Chủ nhiệm), or a Vice Chairman on his behalf (KT.), signs it, with the signature lines of NĐ 30; then the
poll's chair decides on the signed report (polls/reporting.py, polls/signers.py, docs/polls.md)."""

from __future__ import annotations

import asyncio
import io
import subprocess
from typing import Any

import pikepdf
import pytest
from sqlmodel import col, select

from app.db import Database
from core.actor import Actor
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.officials import full_title, named, office_signature_lines
from core.outbox import OutboxJob
from infra.settings import Settings
from accounts.models import GlobalRole
from polls import answering, closing, reporting, services
from polls.pdf import content_digest, render_report
from polls.schemas import RulesIn
from tests.conftest import LiveServer
from tests.factories import PASSWORD, call, make_user
from tests.live import login
from tests.poll_helpers import (
    OFFICE_DEPUTY_TITLE,
    OFFICE_HEAD_TITLE,
    QUESTIONS,
    Board,
    answer,
    in_,
    make_board,
    make_office,
    make_poll,
    retitle,
)
from tests.waiting import eventually

TZ = "Asia/Ho_Chi_Minh"


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def _closed_poll(db: Database, b: Board, *, comment: str = "Cần làm rõ nguồn vốn.") -> dict[str, Any]:
    poll = make_poll(db, b, deadline=in_(3600))
    answer(db, poll, b.members[0], "disagree", "agree", comment=comment)
    assert call(db, closing.close_poll, poll_id=poll["id"], now=in_(7200), tz=TZ)
    return poll


def _notified(db: Database, event: str) -> list[dict[str, Any]]:
    with db.read_session() as s:
        jobs = s.exec(select(OutboxJob).where(OutboxJob.kind == "notify").order_by(col(OutboxJob.id))).all()
        return [j.payload for j in jobs if j.payload["event"] == event]


def _shown(db: Database, who: Actor, poll_id: int) -> dict[str, Any]:
    return db.run_read(reporting.report_view, actor=who, poll_id=poll_id, tz=TZ)


def test_the_government_office_titles_and_signature_lines() -> None:
    assert office_signature_lines(on_behalf=False) == ("BỘ TRƯỞNG, CHỦ NHIỆM",)
    assert office_signature_lines(on_behalf=True) == ("KT. BỘ TRƯỞNG, CHỦ NHIỆM", "PHÓ CHỦ NHIỆM")
    assert full_title("Bộ trưởng, Chủ nhiệm") == OFFICE_HEAD_TITLE == full_title(OFFICE_HEAD_TITLE)
    assert full_title("Phó Chủ nhiệm") == OFFICE_DEPUTY_TITLE
    assert full_title("Phó Chủ nhiệm Thường trực") == "Phó Chủ nhiệm Thường trực Văn phòng Chính phủ"
    assert full_title("Chủ nhiệm Ủy ban Dân tộc") == "Chủ nhiệm Ủy ban Dân tộc"  # another agency: as written
    assert named("Bộ trưởng, Chủ nhiệm", "Lưu Đình Khoa") == "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ Lưu Đình Khoa"


def test_the_report_is_the_offices_with_its_signature_lines(db: Database) -> None:
    """The head is shown the report he signs ('BỘ TRƯỞNG, CHỦ NHIỆM', his name below), a Vice Chairman the one he
    signs on the head's behalf ('KT. BỘ TRƯỞNG, CHỦ NHIỆM' / 'PHÓ CHỦ NHIỆM', his name); the secretariat and the
    chair read the head's. The report is addressed to the chair, who decides: his lines are not on it."""
    b = make_board(db, n_members=2)
    retitle(db, b.chair, "Thủ tướng Chính phủ")
    poll = _closed_poll(db, b)
    head, deputy = make_office(db, b)
    texts = {}
    for who in (head, deputy, b.staff, b.chair):
        view = _shown(db, who, poll["id"])
        pdf = render_report(view["content"])
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            subject = str(doc.docinfo["/Subject"])
        assert subject == f"poll-report:{view['digest']}" == f"poll-report:{content_digest(view['content'])}"
        texts[who.id] = _text(pdf)
    by_head, by_deputy = texts[head.id], texts[deputy.id]
    assert texts[b.staff.id] == texts[b.chair.id] == by_head
    assert "BỘ TRƯỞNG, CHỦ NHIỆM" in by_head and "KT." not in by_head and "PHÓ CHỦ NHIỆM" not in by_head
    assert by_head.count(head.full_name) == 1 and deputy.full_name not in by_head
    assert "KT. BỘ TRƯỞNG, CHỦ NHIỆM" in by_deputy and "PHÓ CHỦ NHIỆM" in by_deputy
    assert by_deputy.count(deputy.full_name) == 1 and head.full_name not in by_deputy
    for text in (by_head, by_deputy):
        assert "THỦ TƯỚNG" not in text and "VĂN PHÒNG CHÍNH PHỦ" in text and "/BC-VPCP" in text
        assert f"Văn phòng Chính phủ kính báo cáo Thủ tướng Chính phủ {b.chair.full_name} xem xét, quyết định" in text
        assert "Thủ tướng Chính phủ (để báo cáo);" in text and "Cần làm rõ nguồn vốn." in text
    assert _shown(db, head, poll["id"])["digest"] != _shown(db, deputy, poll["id"])["digest"]


def test_nobody_signs_until_the_head_is_designated_and_only_the_designated_sign(db: Database) -> None:
    b = make_board(db, n_members=2)
    poll = _closed_poll(db, b)
    head, deputy = make_office(db, b, designate=False)
    digest = _shown(db, b.staff, poll["id"])["digest"]
    args = {"poll_id": poll["id"], "shown": digest, "tz": TZ}
    with pytest.raises(NotFound):  # not designated yet, not asked: the poll is not there for him at all
        db.run_read(reporting.report_to_sign, actor=head, **args)
    for anyone in (b.chair, b.staff):  # 422, saying what is missing (the rules everyone reads)
        with pytest.raises(ValidationFailed) as none:
            db.run_read(reporting.report_to_sign, actor=anyone, **args)
        assert "Chưa khai báo người ký báo cáo tổng hợp ý kiến" in str(none.value.message)
        assert none.value.details[0]["field"] == "report_signer_id"
    # the designation: active members of the Government or the Office's staff, never a poll's chair
    base = {"silence_default": "agree", "require_signed_answers": False}
    for bad in (
        {"report_deputy_ids": [deputy.id]},  # a deputy signs on behalf of a head
        {"report_signer_id": b.outsider.id},  # a guest
        {"report_signer_id": b.admin.id},  # the system's administrator
        {"report_signer_id": head.id, "report_deputy_ids": [head.id]},
        {"report_signer_id": b.chair.id},  # who decides on the report does not sign it
        {
            "report_signer_id": head.id,
            "chair_id": b.chair.id,
            "deputy_ids": [b.members[0].id],
            "report_deputy_ids": [b.members[0].id],
        },  # fmt: skip
    ):
        with pytest.raises(ValidationFailed):
            call(db, services.set_rules, actor=b.admin, data=RulesIn(**base, **bad))
    with pytest.raises(Forbidden):
        call(db, services.set_rules, actor=b.staff, data=RulesIn(**base, report_signer_id=head.id))
    got = call(
        db,
        services.set_rules,
        actor=b.admin,
        data=RulesIn(**base, report_signer_id=head.id, report_deputy_ids=[deputy.id]),
    )
    assert got["report_signer_id"] == head.id and got["report_deputy_ids"] == [deputy.id]
    assert db.run_read(services.read_rules, actor=b.members[0])["report_signer_id"] == head.id
    for refused in (b.chair, b.staff, b.members[0], b.admin):  # the chair decides; the secretariat drafts
        with pytest.raises(Forbidden) as no:
            db.run_read(reporting.report_to_sign, actor=refused, **args)
        assert "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ" in str(no.value.message)
    with pytest.raises(Conflict):  # shown before the designation: his name was not on it yet
        db.run_read(reporting.report_to_sign, actor=head, **args)
    args["shown"] = _shown(db, head, poll["id"])["digest"]
    assert db.run_read(reporting.report_to_sign, actor=head, **args)["on_behalf"] is False
    shown = _shown(db, deputy, poll["id"])["digest"]
    assert db.run_read(reporting.report_to_sign, actor=deputy, **{**args, "shown": shown})["on_behalf"] is True


def test_states_and_what_was_shown(db: Database) -> None:
    b = make_board(db, n_members=2)
    open_poll = make_poll(db, b, deadline=in_(3600))
    poll = _closed_poll(db, b)
    head, deputy = make_office(db, b)
    with pytest.raises(NotFound) as early:  # before the close the Office's signers do not see the poll (404)
        db.run_read(reporting.report_to_sign, actor=head, poll_id=open_poll["id"], shown="0" * 64, tz=TZ)
    assert early.value.details is None
    digest = _shown(db, head, poll["id"])["digest"]
    # the report changes while the head reads it (a member's name is corrected): what he was shown is refused
    retitle(db, b.members[0], "Bộ trưởng Bộ Tài chính")  # not on the report: the same report
    assert _shown(db, head, poll["id"])["digest"] == digest
    job = db.run_read(reporting.report_to_sign, actor=head, poll_id=poll["id"], shown=digest, tz=TZ)
    _rename(db, b.members[0], "Tên Đã Sửa")  # his name is on the report (his comment): another report
    with pytest.raises(Conflict) as moved:  # signed meanwhile? stored only if it still reads as signed
        call(db, reporting.store_report, actor=head, **{**_store_args(poll), "digest": job["digest"]})
    assert "đã thay đổi" in str(moved.value.message)
    with pytest.raises(Conflict):
        db.run_read(reporting.report_to_sign, actor=head, poll_id=poll["id"], shown=digest, tz=TZ)
    now = _shown(db, deputy, poll["id"])["digest"]
    done = call(
        db, reporting.store_report, actor=deputy, poll_id=poll["id"], report_sha256="ab" * 32, digest=now, tz=TZ
    )
    assert done["state"] == "reported" and done["report_signer"]["on_behalf"] is True
    assert done["report_signer"]["title"] == OFFICE_DEPUTY_TITLE and done["may_sign_report"] is False
    with pytest.raises(Conflict):  # signed once
        db.run_read(reporting.report_to_sign, actor=head, poll_id=poll["id"], shown=digest, tz=TZ)
    # who compiles the opinions reads the members' signed sheets too (none signed here), another member does not
    with pytest.raises(NotFound):
        db.run_read(answering.signed_sheet, actor=head, poll_id=poll["id"], user_id=b.members[0].id)
    with pytest.raises(Forbidden):
        db.run_read(answering.signed_sheet, actor=b.members[1], poll_id=poll["id"], user_id=b.members[0].id)
    seen = db.run_read(reporting.read_poll, actor=b.chair, poll_id=poll["id"], tz=TZ)
    assert seen["may_decide"] is True and seen["report_sha256"] == "ab" * 32
    assert db.run_read(reporting.read_poll, actor=b.members[1], poll_id=poll["id"], tz=TZ)["report_sha256"] is None
    with pytest.raises(Conflict):  # not the signed report he was shown
        call(db, reporting.decide, actor=b.chair, poll_id=poll["id"], report_sha256="cd" * 32)
    with pytest.raises(Forbidden):
        call(db, reporting.decide, actor=deputy, poll_id=poll["id"], report_sha256="ab" * 32)
    decided = call(
        db,
        reporting.decide,
        actor=b.chair,
        poll_id=poll["id"],
        report_sha256="ab" * 32,
        note="Đồng ý; giao Bộ Tư pháp.",
    )
    assert decided["state"] == "decided" and decided["decided_on_sha256"] == "ab" * 32
    assert decided["decision_note"] == "Đồng ý; giao Bộ Tư pháp." and decided["decided_by"] == b.chair.full_name
    with pytest.raises(Conflict):  # decided once
        call(db, reporting.decide, actor=b.chair, poll_id=poll["id"], report_sha256="ab" * 32)


def _store_args(poll: dict[str, Any]) -> dict[str, Any]:
    return {"poll_id": poll["id"], "report_sha256": "ab" * 32, "tz": TZ}


def _rename(db: Database, who: Actor, name: str) -> None:
    from accounts.models import User

    def write(session: Any) -> None:
        user = session.get(User, who.id)
        assert user is not None
        user.full_name = name
        session.add(user)

    db.run_write(write)


def test_the_signers_are_told_the_report_waits_and_the_chair_that_it_is_signed(db: Database) -> None:
    b = make_board(db, n_members=2)
    poll = make_poll(db, b, deadline=in_(3600))
    head, deputy = make_office(db, b)
    assert call(db, closing.close_poll, poll_id=poll["id"], now=in_(7200), tz=TZ)
    due = _notified(db, "poll.report_due")
    link = f"/polls/{poll['id']}"
    assert sorted((d["user_ids"], d["link"]) for d in due) == [([u], link) for u in (head.id, deputy.id)]
    assert due[0]["params"]["number"].endswith("/BC-VPCP") and due[0]["params"]["questions"] == len(QUESTIONS)
    assert _notified(db, "poll.report_signed") == []
    digest = _shown(db, head, poll["id"])["digest"]
    call(db, reporting.store_report, actor=head, poll_id=poll["id"], report_sha256="ab" * 32, digest=digest, tz=TZ)
    signed = _notified(db, "poll.report_signed")
    assert [s["user_ids"] for s in signed] == [[b.chair.id]]
    assert signed[0]["params"]["signer"] == f"{OFFICE_HEAD_TITLE} {head.full_name}"
    from notifications.texts import EVENTS, render

    assert {"poll.report_due", "poll.report_signed"} <= set(EVENTS)
    vi = render("poll.report_signed", signed[0]["params"], "vi", TZ)
    en = render("poll.report_signed", signed[0]["params"], "en", TZ)
    assert vi[1].startswith(f"Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ {head.full_name} đã ký Báo cáo")
    assert en[0] == f"Summary report signed: {poll['title']}" and "please review it and decide" in en[1]
    assert "chờ đồng chí xem và ký" in render("poll.report_due", due[0]["params"], "vi", TZ)[1]


async def test_the_report_signed_by_a_vice_chairman_then_decided_end_to_end(
    live_server: LiveServer, settings: Settings
) -> None:
    """On the real server (SQLite): the poll closes by itself; the Office's signers are notified; the Vice Chairman
    opens the report his page names and signs it on the head's behalf; the chair is notified, reads the signed
    report and decides on it with his signing password; the signed PDF verifies and shows the KT. lines."""
    from ledger.keystore import KeyStore, ensure_demo_signers
    from minutes.signing import verify_pdf

    db = live_server.db
    b = make_board(db, n_members=2)
    create = {
        "title": "Lấy ý kiến về dự thảo Nghị định đầu tư công",
        "questions": [{"text": q} for q in QUESTIONS],
        "deadline_at": in_(4).isoformat(),
    }
    staff, chair = await login(live_server.url, b.staff.username), await login(live_server.url, b.chair.username)
    pid = (await staff.post("/api/polls", json=create)).json()["id"]
    assert (await staff.post(f"/api/polls/{pid}/submit")).status_code == 200
    assert (await chair.post(f"/api/polls/{pid}/approve")).status_code == 200
    head, deputy = make_office(db, b, designate=False)
    ensure_demo_signers(
        settings.data_dir / "keys",
        [(deputy.username, deputy.full_name, "Phó Chủ nhiệm"), (b.chair.username, b.chair.full_name, "Thủ tướng")],
        PASSWORD,
    )
    admin, office, vice = [await login(live_server.url, u.username) for u in (b.admin, head, deputy)]
    try:
        rules = {"silence_default": "agree", "require_signed_answers": False}
        no_head = {**rules, "report_deputy_ids": [deputy.id]}  # a deputy signs on behalf of a designated head
        assert (await admin.put("/api/poll-rules", json=no_head)).status_code == 422
        rules |= {"report_signer_id": head.id, "report_deputy_ids": [deputy.id]}
        assert (await admin.put("/api/poll-rules", json=rules)).status_code == 200

        async def state(client: Any, want: str) -> bool:
            return (await client.get(f"/api/polls/{pid}")).json()["state"] == want

        await eventually(lambda: state(chair, "closed"), "the poll closed by itself", timeout=30)

        async def told(client: Any, event: str) -> list[dict[str, Any]]:
            items = (await client.get("/api/notifications")).json()["items"]
            return [n for n in items if n["event"] == event]

        note = (await eventually(lambda: told(vice, "poll.report_due"), "the Vice Chairman told"))[0]
        assert note["link"] == f"/polls/{pid}" and "chờ đồng chí xem và ký" in note["body"]
        await eventually(lambda: told(office, "poll.report_due"), "the head told")
        page = (await vice.get(f"/api/polls/{pid}")).json()
        assert page["may_sign_report"] is True and page["may_decide"] is False
        digest = page["report_to_sign"]["digest"]
        assert (await vice.get(f"/api/polls/{pid}/report", params={"digest": "0" * 64})).status_code == 409
        shown = await vice.get(f"/api/polls/{pid}/report", params={"digest": digest})
        assert shown.status_code == 200 and shown.headers["X-Report-Digest"] == digest
        assert "KT. BỘ TRƯỞNG, CHỦ NHIỆM" in _text(shown.content)
        sign = {"password": PASSWORD, "report_digest": digest}
        assert (await chair.post(f"/api/polls/{pid}/report/sign", json=sign)).status_code == 403
        stale = {**sign, "report_digest": "0" * 64}
        assert (await vice.post(f"/api/polls/{pid}/report/sign", json=stale)).status_code == 409
        wrong = {**sign, "password": "sai-mật-khẩu-ký"}
        assert (await vice.post(f"/api/polls/{pid}/report/sign", json=wrong)).status_code == 403
        r = await vice.post(f"/api/polls/{pid}/report/sign", json=sign)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "reported" and r.json()["report_signer"]["on_behalf"] is True
        assert (await office.post(f"/api/polls/{pid}/report/sign", json=sign)).status_code == 409  # signed once
        note = (await eventually(lambda: told(chair, "poll.report_signed"), "the chair told"))[0]
        assert f"{OFFICE_DEPUTY_TITLE} {deputy.full_name} đã ký Báo cáo tổng hợp ý kiến số" in note["body"]
        page = (await chair.get(f"/api/polls/{pid}")).json()
        assert page["may_decide"] is True
        signed = await chair.get(f"/api/polls/{pid}/report")
        assert signed.headers["X-Report-SHA256"] == page["report_sha256"] and signed.content.startswith(shown.content)
        verdict = await asyncio.to_thread(
            verify_pdf, signed.content, KeyStore.for_data_dir(settings.data_dir).trusted_roots()
        )
        assert verdict.verdict == "valid" and verdict.signatures[0].signer_name.startswith(deputy.full_name)
        text = _text(signed.content)
        assert "KT. BỘ TRƯỞNG, CHỦ NHIỆM" in text and "PHÓ CHỦ NHIỆM" in text and "Đã ký số" in text
        assert text.count(deputy.full_name) == 1 and "THỦ TƯỚNG" not in text
        decide = {"report_sha256": page["report_sha256"], "password": PASSWORD, "note": "Đồng ý với báo cáo."}
        assert (await vice.post(f"/api/polls/{pid}/decide", json=decide)).status_code == 403
        other = {**decide, "report_sha256": "1" * 64}  # not the signed report
        assert (await chair.post(f"/api/polls/{pid}/decide", json=other)).status_code == 409
        assert (await chair.post(f"/api/polls/{pid}/decide", json={**decide, "password": "sai"})).status_code == 403
        assert (await chair.post(f"/api/polls/{pid}/decide", json={**decide, "report_sha256": "X"})).status_code == 422
        r = await chair.post(f"/api/polls/{pid}/decide", json=decide)
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["state"] == "decided" and got["decided_on_sha256"] == page["report_sha256"]
        assert got["decision_note"] == "Đồng ý với báo cáo." and got["decided_by"] == b.chair.full_name
        assert (await chair.post(f"/api/polls/{pid}/decide", json=decide)).status_code == 409
        # the signers follow the poll they reported on; a member who is neither voter nor signer does not
        assert (await office.get(f"/api/polls/{pid}")).json()["report_signer"]["full_name"] == deputy.full_name
        assert pid in [p["id"] for p in (await vice.get("/api/polls")).json()]
        stranger = await login(live_server.url, make_user(db, GlobalRole.member, "Người Ngoài").username)
        assert (await stranger.get(f"/api/polls/{pid}")).status_code == 404  # to him: as a poll never made
        await stranger.aclose()
    finally:
        for c in (staff, chair, admin, office, vice):
            await c.aclose()


async def test_the_decisions_password_is_counted_as_a_signatures(live_server: LiveServer, settings: Settings) -> None:
    """Wrong signing passwords on a decision count in the chair's signing budget (sign:<id>) before they are
    checked: beyond it even the right one is refused (429); below it the right one decides."""
    from ledger.keystore import ensure_demo_signers

    db, n = live_server.db, live_server.settings.login_max_failures
    b = make_board(db, n_members=2)
    deputy_chair = b.members[0]
    rules = RulesIn(silence_default="agree", require_signed_answers=False, deputy_ids=[deputy_chair.id])
    call(db, services.set_rules, actor=b.admin, data=rules)
    polls = [make_poll(db, b, deadline=in_(3600)), _chaired_by(db, b, deputy_chair)]
    head, _deputy = make_office(db, b, designate=False)
    call(db, services.set_rules, actor=b.admin, data=rules.model_copy(update={"report_signer_id": head.id}))
    for poll in polls:
        assert call(db, closing.close_poll, poll_id=poll["id"], now=in_(7200), tz=TZ)
        digest = _shown(db, head, poll["id"])["digest"]
        call(db, reporting.store_report, actor=head, **_store_args(poll), digest=digest)
    keys = [(u.username, u.full_name, "Phó Thủ tướng") for u in (b.chair, deputy_chair)]
    ensure_demo_signers(settings.data_dir / "keys", keys, PASSWORD)
    locked, allowed = [await login(live_server.url, u.username) for u in (b.chair, deputy_chair)]
    try:

        def body(password: str) -> dict[str, str]:
            return {"report_sha256": "ab" * 32, "password": password}

        for i in range(n):
            assert (await locked.post(f"/api/polls/{polls[0]['id']}/decide", json=body(f"sai-{i}"))).status_code == 403
        r = await locked.post(f"/api/polls/{polls[0]['id']}/decide", json=body(PASSWORD))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.text
        assert (await locked.get(f"/api/polls/{polls[0]['id']}")).json()["state"] == "reported"
        for i in range(n - 1):
            assert (await allowed.post(f"/api/polls/{polls[1]['id']}/decide", json=body(f"sai-{i}"))).status_code == 403
        r = await allowed.post(f"/api/polls/{polls[1]['id']}/decide", json=body(PASSWORD))
        assert r.status_code == 200 and r.json()["state"] == "decided", r.text
    finally:
        await locked.aclose()
        await allowed.aclose()


def _chaired_by(db: Database, b: Board, chair: Actor) -> dict[str, Any]:
    from polls.schemas import PollCreate

    data = PollCreate(
        title="Lấy ý kiến về dự thảo Quyết định",
        questions=[{"text": QUESTIONS[0]}],
        chair_id=chair.id,
        deadline_at=in_(3600),
    )
    poll = call(db, services.create_poll, actor=b.staff, data=data)
    call(db, services.submit_poll, actor=b.staff, poll_id=poll["id"])
    return call(db, services.approve_poll, actor=chair, poll_id=poll["id"], tz=TZ)
