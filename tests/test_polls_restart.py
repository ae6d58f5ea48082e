"""End to end across a restart: 27 voters, most answer (two sign with their own keys), the server process is
killed before the deadlines; one deadline passes while it is down and that poll is closed as soon as the
server is back; the other closes by itself at its deadline. Results under both silence rules and the tie
rule, and the signed answers verified."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import socketio

from app.db import Database
from infra.settings import Settings
from ledger.keystore import KeyStore, ensure_demo_signers
from minutes.signing import verify_pdf
from polls import answering, views
from polls.schemas import AnswersIn
from tests.factories import PASSWORD, call
from tests.live import login
from tests.poll_helpers import in_, make_board, make_poll
from tests.test_outbox_crash import Server, servers  # noqa: F401 - the fixture


# Voter i's choices on (q1, q2); voter 0 is the chair; 23..26 stay silent.
def _choices(i: int) -> tuple[str, str] | None:
    if i >= 23:
        return None
    q1 = "agree" if i <= 9 else "disagree" if i <= 19 else "other"
    q2 = "disagree" if i == 0 else "agree" if i <= 11 else "disagree" if i <= 19 else "other"
    return q1, q2


async def _closed(url: str, cookie: str, poll_ids: set[int], http: Any) -> None:
    """Wait for the live `poll` events saying each poll closed (or find them closed already)."""
    sio = socketio.AsyncClient(reconnection=False)
    done: set[int] = set()
    got = asyncio.Event()

    async def on_poll(data: dict[str, Any]) -> None:
        if data["state"] == "closed":
            done.add(data["poll_id"])
            got.set()

    sio.on("poll", on_poll)
    await sio.connect(url, transports=["websocket"], headers={"Cookie": f"ecabinet_session={cookie}"})
    try:
        for pid in poll_ids:
            if (await http.get(f"/api/polls/{pid}")).json()["state"] == "closed":
                done.add(pid)
        while not poll_ids <= done:
            got.clear()
            await asyncio.wait_for(got.wait(), 40)
    finally:
        await sio.disconnect()


async def test_27_voters_restart_and_closing_by_itself(
    settings: Settings,
    db: Database,
    servers: list[Server],  # noqa: F811
) -> None:
    b = make_board(db, n_members=26)
    voters = b.voters
    assert len(voters) == 27
    signers = [voters[3], voters[12]]
    ensure_demo_signers(settings.data_dir / "keys", [(v.username, v.full_name, "Bộ trưởng") for v in signers], PASSWORD)
    first = Server(settings)
    servers.append(first)
    await first.started()
    soon = make_poll(db, b, deadline=in_(20), silence="agree")  # its deadline passes while the server is down
    later = make_poll(db, b, deadline=in_(35), silence="none")  # closes by itself after the restart
    for poll in (soon, later):
        for i, v in enumerate(voters):
            picked = _choices(i)
            if picked is None or v in signers:
                continue
            body = AnswersIn(answers=[{"question_id": q["id"], "choice": c} for q, c in zip(poll["questions"], picked)])
            call(db, answering.answer, actor=v, poll_id=poll["id"], data=body)
    # the two signers answer over HTTP with their own keys; an outsider is refused
    for v in signers:
        http = await login(first.url, v.username)
        picked = _choices(voters.index(v))
        assert picked is not None
        for poll in (soon, later):
            signed = {
                "answers": [{"question_id": q["id"], "choice": c} for q, c in zip(poll["questions"], picked)],
                "password": PASSWORD,
            }
            r = await http.post(f"/api/polls/{poll['id']}/answers", json=signed)
            assert r.status_code == 200 and r.json()["signed"] is True, r.text
        await http.aclose()
    outsider = await login(first.url, b.outsider.username)
    assert (
        await outsider.post(
            f"/api/polls/{soon['id']}/answers",
            json={"answers": [{"question_id": soon["questions"][0]["id"], "choice": "agree"}]},
        )
    ).status_code == 404  # not asked: the poll is not there for him
    await outsider.aclose()
    first.kill()
    deadline = datetime.fromisoformat(soon["deadline_at"].replace("Z", "+00:00"))
    await asyncio.sleep(
        max(0.0, (deadline - datetime.now(timezone.utc)).total_seconds()) + 0.5
    )  # wall-clock: the server is down
    assert call(db, views.get_poll, actor=b.staff, poll_id=soon["id"])["state"] == "open"  # nobody closed it meanwhile
    second = Server(settings)
    servers.append(second)
    await second.started()
    http = await login(second.url, voters[25].username)
    await _closed(second.url, http.cookies["ecabinet_session"], {soon["id"], later["id"]}, http)
    assert datetime.now(timezone.utc) >= datetime.fromisoformat(later["deadline_at"].replace("Z", "+00:00"))
    a = (await http.get(f"/api/polls/{soon['id']}")).json()
    n = (await http.get(f"/api/polls/{later['id']}")).json()
    # silence counts as agreement: 10 + 4 silent = 14 of 27; 11 + 4 = 15 of 27
    assert a["questions"][0]["result"] == {
        "agree": 10,
        "disagree": 10,
        "other": 3,
        "silent": 4,
        "voters": 27,
        "adopted": True,
        "tie": False,
        "decided_by_chair": False,
        "members": 27,
    }
    assert a["questions"][1]["result"]["adopted"] is True
    # silence not counted: 10 against 10, the chair agreed → adopted by the chair's side; 11 of 27 is not a majority
    assert n["questions"][0]["result"] == {
        "agree": 10,
        "disagree": 10,
        "other": 3,
        "silent": 4,
        "voters": 27,
        "adopted": True,
        "tie": True,
        "decided_by_chair": True,
        "members": 27,
    }
    assert n["questions"][1]["result"] == {
        "agree": 11,
        "disagree": 9,
        "other": 3,
        "silent": 4,
        "voters": 27,
        "adopted": False,
        "tie": False,
        "decided_by_chair": False,
        "members": 27,
    }
    await http.aclose()
    # the signed sheets verify and say what is stored; the others are marked unsigned
    staff = await login(second.url, b.staff.username)
    follow = (await staff.get(f"/api/polls/{later['id']}")).json()
    assert sorted(v["user_id"] for v in follow["voters"] if v["signed"]) == sorted(v.id for v in signers)
    roots = KeyStore.for_data_dir(settings.data_dir).trusted_roots()
    for v in signers:
        pdf = (await staff.get(f"/api/polls/{later['id']}/sheets/{v.id}")).content
        assert (await asyncio.to_thread(verify_pdf, pdf, roots)).verdict == "valid"
        from polls.signing import verify_sheet

        with db.read_session() as s:
            from polls.models import PollVoter

            voter = s.get(PollVoter, (later["id"], v.id))
            assert voter is not None and voter.answers_digest is not None
            digest = voter.answers_digest
        assert (await asyncio.to_thread(verify_sheet, settings.data_dir, pdf, digest))["ok"] is True
    await staff.aclose()
