"""Batched casts (votes.casting.cast_many through AppContext.write_many): 500 members tapping at the same
moment over real sockets against a real uvicorn, on SQLite and PostgreSQL, each also tapping twice at once:
every ack is OK, exactly 500 voter records, nothing doubled, and every member's tablet hears the final count.
A batch that mixes good and bad casts answers each on its own: the refused ones write nothing, the others count."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from sqlalchemy import func, update
from sqlmodel import select

from core.actor import Actor
from app.db import Database
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.models import Attendance, MeetingRole, Participant
from meetings.rules import OrgRules
from infra.settings import Settings
from tests.factories import make_cabinet, make_user
from tests.test_outbox_crash import Server
from tests.test_votes_concurrency import _connect_all, _login_all, settings  # noqa: F401  (SQLite | PostgreSQL)
from tests.vote_helpers import check_in, new_vote, option, set_attendance
from tests.waiting import eventually
from votes import casting
from votes.models import Ballot, Vote, VoteKind, VoterRecord

VOTERS = 500


def _stored(db: Database, vote_id: int) -> tuple[int, int, int, dict[int, int]]:
    """(voter records, ballots, voted_count, user id -> chosen option) as stored."""

    def read(session: Any) -> tuple[int, int, int, dict[int, int]]:
        records = session.exec(
            select(func.count()).select_from(VoterRecord).where(VoterRecord.vote_id == vote_id)
        ).one()
        choices = dict(session.exec(select(Ballot.user_id, Ballot.option_id).where(Ballot.vote_id == vote_id)).all())
        return int(records), len(choices), session.get(Vote, vote_id).voted_count, choices

    return db.run_read(read)


def _hall(db: Database, voters: int) -> tuple[Any, list[Actor]]:
    """A started meeting with `voters` members present in the room (the chair and one member from the factory,
    the rest added directly: inviting 500 one by one would test invitations, not votes)."""
    c = make_cabinet(db, n_members=1, n_items=1, start=True)
    extra = [make_user(db) for _ in range(voters - 2)]

    def roster(session: Any) -> None:
        for actor in extra:
            session.add(Participant(meeting_id=c.meeting_id, user_id=actor.id, role=MeetingRole.member))
        session.flush()
        session.execute(
            update(Participant)
            .where(
                Participant.meeting_id == c.meeting_id,  # type: ignore[arg-type]
                Participant.role.in_([MeetingRole.chair, MeetingRole.member]),  # type: ignore[attr-defined]
            )
            .values(attendance=Attendance.present_room)
        )

    db.run_write(roster)
    return c, [c.chair, *c.members, *extra]


@pytest.mark.parametrize("settings", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_500_members_tap_twice_at_once_each_counted_once_and_every_tablet_hears_the_final_count(
    settings: Settings, db: Database
) -> None:
    c, voters = _hall(db, VOTERS)
    vote = new_vote(db, c, kind=VoteKind.named, state="open")
    options = [o["id"] for o in vote["options"]]
    # The server in its own process (as deployed): 500 clients and the server in one event loop would mostly
    # measure that loop missing the clients' pings on this shared machine.
    server = Server(settings, ECABINET_SOCKET_RATE="100")
    clients: list[socketio.AsyncClient] = []
    try:
        await server.started()
        tokens = await _login_all(server.url, [v.username for v in voters])
        # Every member follows the meeting (each join reads a snapshot of 500 participants: a few at a time).
        clients = await _connect_all(server.url, tokens, c.meeting_id, watchers=VOTERS, at_once=10, timeout=180)
        start, waiting = asyncio.Event(), list[int]()  # the tablets about to tap

        async def taps(i: int, client: socketio.AsyncClient) -> list[dict[str, Any]]:
            waiting.append(i)
            await start.wait()
            # The same member twice at once: the first choice, then (every other member) another one.
            first = {"vote_id": vote["id"], "option_id": options[i % 3]}
            second = {"vote_id": vote["id"], "option_id": options[(i + i % 2) % 3]}
            return list(
                await asyncio.gather(
                    client.call("vote:cast", first, timeout=180), client.call("vote:cast", second, timeout=180)
                )
            )

        tasks = [asyncio.create_task(taps(i, cl)) for i, cl in enumerate(clients)]
        await eventually(lambda: len(waiting) == len(clients), "every member's tablet ready to tap at once")
        start.set()
        acks = await asyncio.wait_for(asyncio.gather(*tasks), 300)

        def heard_final(client: socketio.AsyncClient) -> bool:
            return any(
                e["type"] == "vote.tally"
                and any(v["id"] == vote["id"] and v["voted_count"] == VOTERS for v in e["data"]["votes"])
                for e in client.events
            )

        await eventually(
            lambda: all(heard_final(cl) for cl in clients), "every member's tablet to hear 500 voted", timeout=120
        )
        # Progress is coalesced: a few tally events for the whole burst, not one per cast.
        tallies = [e for e in clients[1].events if e["type"] == "vote.tally"]
    finally:
        await asyncio.gather(*(cl.disconnect() for cl in clients), return_exceptions=True)
        server.kill()
    bad = [(i, a) for i, pair in enumerate(acks) for a in pair if not a["ok"]]
    assert not bad, bad[:3]
    records, ballots, voted_count, choices = _stored(db, vote["id"])
    assert records == ballots == voted_count == VOTERS
    assert set(choices) == {v.id for v in voters}
    for i, (voter, pair) in enumerate(zip(voters, acks)):
        # each ack tells the choice it recorded; what is stored is one of the two (whichever came last)
        assert {a["data"]["me"]["option_id"] for a in pair} == {options[i % 3], options[(i + i % 2) % 3]}
        assert choices[voter.id] in {options[i % 3], options[(i + i % 2) % 3]}
    assert len(tallies) < VOTERS // 10, len(tallies)


@pytest.mark.parametrize("settings", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_batch_of_good_and_bad_casts_answers_each_on_its_own(db: Database) -> None:
    c = make_cabinet(db, n_members=6, n_items=1, start=True)
    present = [c.chair, *c.members[:4]]
    check_in(db, c, present)
    absent = c.members[4]
    deputy = c.members[5]
    set_attendance(db, c, deputy, Attendance.deputy, deputy_name="Trần Văn Thay")

    def no_deputies(session: Any) -> None:
        rules = session.get(OrgRules, 1) or OrgRules(id=1)
        rules.deputy_may_vote = False
        session.add(rules)

    db.run_write(no_deputies)
    closed = new_vote(db, c, kind=VoteKind.open, state="closed")  # first: one vote is open at a time
    vote = new_vote(db, c, kind=VoteKind.named, state="open")
    yes, no = option(vote, "yes"), option(vote, "no")

    def cast(actor: Actor, option_id: int, vote_id: int = vote["id"]) -> dict[str, Any]:
        return {"actor": actor, "vote_id": vote_id, "option_id": option_id}

    calls = [
        cast(c.chair, yes),  # 0 ok
        cast(c.members[0], yes),  # 1 ok
        cast(absent, yes),  # 2 not checked in
        cast(c.guest, yes),  # 3 a guest
        cast(c.secretary, yes),  # 4 the secretary
        cast(c.outsider, yes),  # 5 not invited
        cast(deputy, yes),  # 6 a deputy, not allowed here
        cast(c.members[1], option(closed, "yes"), closed["id"]),  # 7 the vote is closed
        cast(c.members[1], yes + 1000),  # 8 not an option of this vote
        cast(c.members[2], option(closed, "no")),  # 9 another vote's option
        cast(c.members[0], yes),  # 10 the same choice again: ok, counted once
        cast(c.members[3], yes),  # 11 ok ...
        cast(c.members[3], no),  # 12 ... then changed in the same batch: the last counts
        cast(c.members[1], no),  # 13 ok (after its two refusals above)
        cast(c.members[2], yes, 10**9),  # 14 no such vote
    ]
    answers = db.run_write(casting.cast_many, calls=calls).result
    expected: dict[int, type[Exception]] = {
        2: Forbidden,
        3: Forbidden,
        4: Forbidden,
        5: NotFound,  # not invited: the vote is as absent to him
        6: Forbidden,
        7: Conflict,
        8: ValidationFailed,
        9: ValidationFailed,
        14: NotFound,
    }
    for i, (ok, answer) in enumerate(answers):
        if i in expected:
            assert not ok and isinstance(answer, expected[i]), (i, answer)
        else:
            assert ok, (i, answer)
    assert "Đại biểu dự thay" in answers[6][1].to_dict("vi")["message"]
    assert answers[7][1].to_dict("vi")["code"] == "invalid_state"
    assert [answers[i][1]["voted_count"] for i in (0, 1, 10, 11, 12, 13)] == [1, 2, 2, 3, 3, 4]
    records, ballots, voted_count, choices = _stored(db, vote["id"])
    assert records == ballots == voted_count == 4
    assert choices == {c.chair.id: yes, c.members[0].id: yes, c.members[3].id: no, c.members[1].id: no}
    assert _stored(db, closed["id"])[0] == 0
    # A later batch sees what the first stored: a repeat is a no-op, a change changes the choice, not the count.
    again = db.run_write(casting.cast_many, calls=[cast(c.chair, yes), cast(c.members[0], no)]).result
    assert [a["voted_count"] for _, a in again] == [4, 4]
    assert _stored(db, vote["id"])[3][c.members[0].id] == no
    assert _stored(db, vote["id"])[:3] == (4, 4, 4)


@pytest.mark.parametrize("settings", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_refused_batch_call_changes_nothing_and_a_secret_vote_takes_no_plain_cast(db: Database) -> None:
    c = make_cabinet(db, n_members=3, n_items=1, start=True)
    check_in(db, c, [c.chair, *c.members])
    secret = new_vote(db, c, kind=VoteKind.secret, state="open")
    answers = db.run_write(
        casting.cast_many, calls=[{"actor": c.chair, "vote_id": secret["id"], "option_id": option(secret, "yes")}]
    ).result
    assert not answers[0][0] and isinstance(answers[0][1], ValidationFailed)
    assert _stored(db, secret["id"])[:3] == (0, 0, 0)
    with pytest.raises(ValidationFailed):  # the lone cast is a batch of one: the same refusal, raised
        db.run_write(casting.cast, actor=c.chair, vote_id=secret["id"], option_id=option(secret, "yes"))
