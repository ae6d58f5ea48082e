"""/api/polls on the real server: every route's denied/allowed pair, the state guards (409), bad input (4xx),
results hidden until closed, the poll closing by itself at its deadline (seen live over the socket), the
deadline extension history, signed answers verified, the summary report signed by the Government Office's head and
the chair's decision on it."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from typing import Any

import httpx
import pikepdf
import socketio

from accounts.models import GlobalRole
from infra.settings import Settings
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.live import login
from tests.poll_helpers import QUESTIONS, Board, in_, make_board, make_office


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def _body(b: Board, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Lấy ý kiến về dự thảo Nghị định đầu tư công",
        "summary": "Tóm tắt: hai điểm còn ý kiến khác nhau.",
        "questions": [{"text": q} for q in QUESTIONS],
        "voter_ids": [m.id for m in b.voters],
        "chair_id": b.chair.id,
        "deadline_at": in_(seconds).isoformat(),
        "silence_counts_as": "agree",
        **extra,
    }


async def _clients(url: str, *actors: Any) -> list[httpx.AsyncClient]:
    return [await login(url, a.username) for a in actors]


async def _listen(
    url: str, client: httpx.AsyncClient
) -> tuple[socketio.AsyncClient, list[dict[str, Any]], asyncio.Event]:
    sio = socketio.AsyncClient(reconnection=False)
    seen: list[dict[str, Any]] = []
    got = asyncio.Event()

    async def on_poll(data: dict[str, Any]) -> None:
        seen.append(data)
        got.set()

    sio.on("poll", on_poll)
    await sio.connect(
        url, transports=["websocket"], headers={"Cookie": f"ecabinet_session={client.cookies['ecabinet_session']}"}
    )
    return sio, seen, got


async def _until(seen: list[dict[str, Any]], got: asyncio.Event, pred: Any, timeout: float = 15) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            for e in seen:
                if pred(e):
                    return e
            got.clear()
            await got.wait()

    return await asyncio.wait_for(wait(), timeout)


async def test_poll_routes_denied_and_allowed(live_server: LiveServer, settings: Settings) -> None:
    from ledger.keystore import ensure_demo_signers

    b = make_board(live_server.db, n_members=3)
    ensure_demo_signers(
        settings.data_dir / "keys",
        [
            (b.members[0].username, b.members[0].full_name, "Bộ trưởng"),
            (b.chair.username, b.chair.full_name, "Thủ tướng Chính phủ"),
        ],
        PASSWORD,
    )
    staff, chair, m0, m1, m2, guest, admin = await _clients(
        live_server.url, b.staff, b.chair, *b.members, b.outsider, b.admin
    )
    sio, seen, got = await _listen(live_server.url, m1)
    sio_m0, seen_m0, _ = await _listen(live_server.url, m0)
    try:
        # create: the secretariat only; bad input is a 422, never a 500
        assert (await m0.post("/api/polls", json=_body(b, 6))).status_code == 403
        assert (await staff.post("/api/polls", json=_body(b, -60))).status_code == 422  # in the past
        assert (
            await staff.post("/api/polls", json={**_body(b, 6), "deadline_at": "2027-01-01T10:00:00"})
        ).status_code == 422
        assert (await staff.post("/api/polls", json={**_body(b, 6), "voter_ids": [b.outsider.id]})).status_code == 422
        assert (await staff.post("/api/polls", json={**_body(b, 6), "questions": []})).status_code == 422
        assert (await staff.post("/api/polls", json={**_body(b, 6), "silence_counts_as": "maybe"})).status_code == 422
        r = await staff.post("/api/polls", json=_body(b, 5))
        assert r.status_code == 201, r.text
        poll = r.json()
        assert (
            poll["state"] == "draft"
            and poll["voter_count"] == 4
            and all(q["result"] is None for q in poll["questions"])
        )
        pid, qids = poll["id"], [q["id"] for q in poll["questions"]]
        # a draft: the secretariat sees it, the chair and the voters not yet (to them: as a poll never made)
        absent = await m0.get(f"/api/polls/{pid + 1000}")
        assert absent.status_code == 404
        for who in (m0, chair):
            hidden = await who.get(f"/api/polls/{pid}")
            assert (hidden.status_code, hidden.text) == (absent.status_code, absent.text)
        assert (await m0.get("/api/polls")).json() == []
        # submit: the secretariat; approve: the poll's chair only
        assert (await m0.post(f"/api/polls/{pid}/submit")).status_code == 403
        assert (await chair.post(f"/api/polls/{pid}/approve")).status_code == 404  # a draft: not his to know yet
        assert (await staff.post(f"/api/polls/{pid}/submit")).json()["state"] == "submitted"
        assert (await staff.post(f"/api/polls/{pid}/submit")).status_code == 409
        assert (await staff.post(f"/api/polls/{pid}/approve")).status_code == 403  # he sees it; not his to approve
        assert (await m0.post(f"/api/polls/{pid}/approve")).status_code == 404  # not sent to him yet: absent
        assert (await chair.get(f"/api/polls/{pid}")).status_code == 200
        r = await chair.post(f"/api/polls/{pid}/approve")
        assert r.status_code == 200 and r.json()["state"] == "open"
        await _until(seen, got, lambda e: e["poll_id"] == pid and e["state"] == "open")  # the voter is told live
        # a member appointed after the poll was sent to the Government is not on it
        other_member = await login(
            live_server.url, make_user(live_server.db, GlobalRole.member, "Không Được Hỏi").username
        )
        sio_out, seen_out, _ = await _listen(live_server.url, other_member)  # not on the poll: never told
        # the Government Office's head (a member appointed since: not asked) signs the summary report
        head, _deputy = make_office(live_server.db, b, designate=False)
        ensure_demo_signers(settings.data_dir / "keys", [(head.username, head.full_name, "Bộ trưởng")], PASSWORD)
        office = await login(live_server.url, head.username)
        # extend: the secretariat or the chair, later only, with a reason kept in the history
        assert (
            await m0.post(f"/api/polls/{pid}/extend", json={"deadline_at": in_(20).isoformat(), "reason": "x"})
        ).status_code == 403
        assert (
            await staff.post(f"/api/polls/{pid}/extend", json={"deadline_at": in_(20).isoformat(), "reason": ""})
        ).status_code == 422
        assert (
            await staff.post(f"/api/polls/{pid}/extend", json={"deadline_at": in_(2).isoformat(), "reason": "sớm hơn"})
        ).status_code == 422
        r = await staff.post(
            f"/api/polls/{pid}/extend", json={"deadline_at": in_(15).isoformat(), "reason": "Chờ ý kiến Bộ Tư pháp"}
        )
        assert r.status_code == 200 and r.json()["extensions"][0]["reason"] == "Chờ ý kiến Bộ Tư pháp"
        # answers: voters only; input checked; replaced until the deadline
        ans = {
            "answers": [
                {"question_id": qids[0], "choice": "agree"},
                {"question_id": qids[1], "choice": "other", "comment": "Cần làm rõ nguồn vốn."},
            ]
        }
        assert (await other_member.post(f"/api/polls/{pid}/answers", json=ans)).status_code == 404  # not on it
        assert (await guest.post(f"/api/polls/{pid}/answers", json=ans)).status_code == 404
        assert (await staff.post(f"/api/polls/{pid}/answers", json=ans)).status_code == 403  # sees it, not asked
        assert (
            await m0.post(f"/api/polls/{pid}/answers", json={"answers": [{"question_id": 10**9, "choice": "agree"}]})
        ).status_code == 422
        assert (
            await m0.post(f"/api/polls/{pid}/answers", json={"answers": [{"question_id": qids[0], "choice": "yes"}]})
        ).status_code == 422
        assert (
            await m0.post(
                f"/api/polls/{pid}/answers",
                json={"answers": [{"question_id": qids[0], "choice": "agree", "comment": "a\x07"}]},
            )
        ).status_code == 422
        r = await m1.post(
            f"/api/polls/{pid}/answers", json={"answers": [{"question_id": qids[0], "choice": "disagree"}]}
        )
        assert r.status_code == 200 and r.json()["remaining"] == 1 and r.json()["questions"][0]["result"] is None
        r = await m1.post(f"/api/polls/{pid}/answers", json=ans)  # replaced
        assert r.json()["remaining"] == 0 and r.json()["questions"][0]["my_answer"] == {
            "choice": "agree",
            "comment": "",
        }
        assert r.json()["voters"] is None if "voters" in r.json() else True
        # signed: with the voter's own key (a wrong password is refused, nothing recorded)
        assert (await m0.post(f"/api/polls/{pid}/answers", json={**ans, "password": "sai-mật-khẩu"})).status_code == 403
        r = await m0.post(f"/api/polls/{pid}/answers", json={**ans, "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert r.json()["signed"] is True
        # chair: signs nothing here; votes disagree on question 2
        await chair.post(
            f"/api/polls/{pid}/answers", json={"answers": [{"question_id": qids[1], "choice": "disagree"}]}
        )
        # follow-up: the secretariat and the chair see who answered, not what
        follow = (await staff.get(f"/api/polls/{pid}")).json()
        assert {v["user_id"]: v["answered"] for v in follow["voters"]} == {
            b.chair.id: 1,
            b.members[0].id: 2,
            b.members[1].id: 2,
            b.members[2].id: 0,
        }
        assert follow["questions"][0]["result"] is None and follow["questions"][0]["answers"] is None
        # the signed sheet: the voter, the chair, the secretariat; not another member
        assert (await m1.get(f"/api/polls/{pid}/sheets/{b.members[0].id}")).status_code == 403
        assert (await m1.get(f"/api/polls/{pid}/sheets/{b.members[1].id}")).status_code == 404  # unsigned
        # before the deadline only the member reads what the sheet says: the chair and the secretariat follow who
        for follower in (staff, chair):
            early = await follower.get(f"/api/polls/{pid}/sheets/{b.members[0].id}")
            assert early.status_code == 409 and "sau khi hết hạn" in early.json()["error"]["message"], early.text
        sheet = await m0.get(f"/api/polls/{pid}/sheets/{b.members[0].id}")
        assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
        from ledger.keystore import KeyStore
        from minutes.signing import verify_pdf
        from polls.answering import sheet_digest

        report = await asyncio.to_thread(
            verify_pdf, sheet.content, KeyStore.for_data_dir(settings.data_dir).trusted_roots()
        )
        assert report.verdict == "valid" and report.signatures[0].signer_name.startswith(b.members[0].full_name)
        with pikepdf.open(io.BytesIO(sheet.content)) as doc:
            expected = sheet_digest(
                pid, b.members[0].id, {qids[0]: ("agree", ""), qids[1]: ("other", "Cần làm rõ nguồn vốn.")}
            )
            assert str(doc.docinfo["/Subject"]) == f"poll-sheet:{expected}"
        # the report and the rules before closing
        assert (await chair.get(f"/api/polls/{pid}/report")).status_code == 409
        assert (await m0.get("/api/poll-rules")).status_code == 200
        assert (
            await staff.put("/api/poll-rules", json={"silence_default": "none", "require_signed_answers": False})
        ).status_code == 403
        rules = {"silence_default": "agree", "require_signed_answers": False, "report_signer_id": head.id}
        assert (await admin.put("/api/poll-rules", json=rules)).json()["report_signer_id"] == head.id
        # the deadline passes: the poll closes by itself, the voter is told live, answers are refused
        await _until(seen, got, lambda e: e["poll_id"] == pid and e["state"] == "closed")
        assert (await m1.post(f"/api/polls/{pid}/answers", json=ans)).status_code == 409
        assert (
            await staff.post(f"/api/polls/{pid}/extend", json={"deadline_at": in_(60).isoformat(), "reason": "muộn"})
        ).status_code == 409
        closed = (await m2.get(f"/api/polls/{pid}")).json()
        q1, q2 = (q["result"] for q in closed["questions"])
        # q1: 2 agree + 2 silent (m2, chair) = 4 of 4;
        # q2: 2 other, 1 disagree (chair), 1 silent counted agree → tie 1:1, the chair's side
        assert q1["agree"] == 2 and q1["silent"] == 2 and q1["adopted"] is True and q1["members"] == 4
        assert (q2["agree"], q2["disagree"], q2["other"], q2["silent"]) == (0, 1, 2, 1)
        assert q2["tie"] is True and q2["adopted"] is False and q2["decided_by_chair"] is True
        assert [a["comment"] for a in closed["questions"][1]["answers"] if a["comment"]] == [
            "Cần làm rõ nguồn vốn."
        ] * 2
        assert (await other_member.get(f"/api/polls/{pid}")).status_code == 404  # not on it: as if absent
        assert [e for e in seen_out if e["poll_id"] == pid] == []
        # a voter hears nothing while the poll is a draft or submitted: the audience is read at delivery
        assert {e["state"] for e in seen_m0 if e["poll_id"] == pid} <= {"open", "closed", "decided"}
        assert "poll.created" not in {t for e in seen_m0 for t in e["types"]}
        assert all(len(e["types"]) == len(set(e["types"])) for e in seen_m0)  # a batch names each kind once
        assert pid not in [p["id"] for p in (await other_member.get("/api/polls")).json()]
        # the summary report: the secretariat, the chair and the Office's head read it; the head signs it for the
        # Government Office (BC-VPCP), then the chair decides on the signed report
        assert (await m0.get(f"/api/polls/{pid}/report")).status_code == 403
        r = await chair.get(f"/api/polls/{pid}/report")
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        r = await office.get(f"/api/polls/{pid}/report")
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        r_shown, digest = r.content, r.headers["X-Report-Digest"]
        assert (await office.get(f"/api/polls/{pid}")).json()["report_to_sign"]["digest"] == digest
        (settings.data_dir / "report.pdf").write_bytes(r.content)
        sign = {"password": PASSWORD, "report_digest": digest}
        for refused in (staff, m0, chair):  # the chair decides; he does not sign the Office's report
            assert (await refused.post(f"/api/polls/{pid}/report/sign", json=sign)).status_code == 403
        too_soon = {"report_sha256": "0" * 64, "password": PASSWORD}
        assert (await chair.post(f"/api/polls/{pid}/decide", json=too_soon)).status_code == 409  # nothing signed yet
        r = await office.post(f"/api/polls/{pid}/report/sign", json=sign)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "reported" and r.json()["report"] is True
        assert r.json()["report_signer"] == {
            "user_id": head.id,
            "full_name": head.full_name,
            "title": "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ",
            "on_behalf": False,
        }
        signed_sha = (await chair.get(f"/api/polls/{pid}")).json()["report_sha256"]
        r = await chair.post(f"/api/polls/{pid}/decide", json={"report_sha256": signed_sha, "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "decided" and r.json()["decided_on_sha256"] == signed_sha
        signed = (await staff.get(f"/api/polls/{pid}/report")).content
        verdict = await asyncio.to_thread(verify_pdf, signed, KeyStore.for_data_dir(settings.data_dir).trusted_roots())
        assert verdict.verdict == "valid" and verdict.signatures[0].signer_name.startswith(head.full_name)
        # the report carries its number from the register (given at the close) and is signed as it was shown;
        # the signature adds no second name (the block prints it once, below the field)
        shown, after = _text(r_shown), _text(signed)
        assert re.search(r"Số: \d{2}/BC-VPCP", shown) and f"Thực hiện ý kiến của Bộ trưởng {b.chair.full_name}" in shown
        assert "BỘ TRƯỞNG, CHỦ NHIỆM" in shown and "KT." not in shown
        assert signed.startswith(r_shown) and "Đã ký số" in after
        assert after.count(head.full_name) == shown.count(head.full_name) == 1
        assert (await office.post(f"/api/polls/{pid}/report/sign", json=sign)).status_code == 409
        async with httpx.AsyncClient(base_url=live_server.url) as anon:  # every route refuses who is not signed in
            for method, path in [
                ("GET", "/api/polls"),
                ("POST", "/api/polls"),
                ("GET", f"/api/polls/{pid}"),
                ("POST", f"/api/polls/{pid}/submit"),
                ("POST", f"/api/polls/{pid}/approve"),
                ("POST", f"/api/polls/{pid}/answers"),
                ("POST", f"/api/polls/{pid}/extend"),
                ("GET", f"/api/polls/{pid}/sheets/{b.members[0].id}"),
                ("GET", f"/api/polls/{pid}/report"),
                ("POST", f"/api/polls/{pid}/report/sign"),
                ("POST", f"/api/polls/{pid}/decide"),
                ("GET", "/api/poll-rules"),
                ("PUT", "/api/poll-rules"),
                ("POST", f"/api/polls/{pid}/documents"),
                ("GET", f"/api/polls/{pid}/documents/1/pages/1"),
            ]:
                assert (await anon.request(method, path, json={} if method != "GET" else None)).status_code in (
                    401,
                    403,
                ), (method, path)
    finally:
        for s in (sio, sio_out, sio_m0):
            await s.disconnect()
        for c in (staff, chair, m0, m1, m2, guest, admin, other_member, office):
            await c.aclose()
