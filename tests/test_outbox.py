"""The outbox: after-commit work is recorded by the service in its own transaction and done by the
dispatcher after COMMIT, whoever called the service, and again after a restart if it was not done."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import col, select

from annotations import services as annotation_services
from app.db import Database
from infra.settings import Settings
from core.outbox import OutboxJob
from documents.models import DocumentVersion
from meetings.events import MeetingEvent
from tests.annotation_helpers import note
from tests.doc_helpers import make_pdf, upload
from tests.conftest import LiveServer, running
from tests.factories import call, make_cabinet
from tests.live import live_client, login
from tests.vote_helpers import new_vote, option, present_cabinet
from tests.waiting import eventually
from votes import casting, services as vote_services
from votes.models import VoteKind


def tallies(db: Database, meeting_id: int) -> list[dict[str, Any]]:
    def read(session: Any) -> list[dict[str, Any]]:
        rows = session.exec(
            select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.type == "vote.tally")
            .order_by(col(MeetingEvent.seq))
        ).all()
        return [r.data for r in rows]

    return db.run_read(read)


def jobs(db: Database) -> list[tuple[str, str]]:
    # (the meeting's publication also left its invitations' "notify" job: not what these tests are about)
    return db.run_read(
        lambda session: [(j.kind, j.ref) for j in session.exec(select(OutboxJob)).all() if j.kind != "notify"]
    )


async def test_a_cast_records_its_tally_job_in_its_transaction_and_a_fresh_app_does_it(
    settings: Settings, db: Database
) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, state="open")
    for member in c.members[:3]:  # committed, but no app is running to publish the tally: a crash, in effect
        call(db, casting.cast, actor=member, vote_id=vote["id"], option_id=option(vote, "yes"))
    assert jobs(db) == [("vote.tally", str(vote["id"]))] * 3 and tallies(db, c.meeting_id) == []
    async with running(settings):
        done = await eventually(
            lambda: [t for t in tallies(db, c.meeting_id) if t["votes"][-1]["voted_count"] == 3], "a tally of 3 votes"
        )
        assert len(done) == 1  # the three jobs coalesced into one event
        await eventually(lambda: jobs(db) == [], "the outbox to empty")


async def test_a_burst_of_casts_gives_one_coalesced_tally_with_the_last_count(live_server: LiveServer) -> None:
    c = present_cabinet(live_server.db)
    vote = new_vote(live_server.db, c, state="open")
    clients = [await login(live_server.url, m.username) for m in c.members]
    try:
        answers = await asyncio.gather(
            *(h.post(f"/api/votes/{vote['id']}/ballots", json={"option_id": option(vote, "yes")}) for h in clients)
        )
        assert [a.status_code for a in answers] == [200] * len(clients)
        await live_server.app.state.jobs.drain()
        last = tallies(live_server.db, c.meeting_id)
        assert last and last[-1]["votes"][-1]["voted_count"] == len(clients) and len(last) <= 3
        assert jobs(live_server.db) == []
    finally:
        for h in clients:
            await h.aclose()


async def test_a_note_made_over_rest_reaches_the_authors_other_tablet_and_nobody_else(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    doc_id = (await upload(staff, c.meeting_id, make_pdf(1))).json()["id"]
    await staff.aclose()
    tablet, http = await live_client(live_server.url, c.members[0].username)
    other, oh = await live_client(live_server.url, c.members[1].username)
    got: list[Any] = []
    seen_by_other: list[Any] = []
    tablet.sio.on("annotation", got.append)
    other.sio.on("annotation", seen_by_other.append)
    try:
        r = await http.post(f"/api/documents/{doc_id}/annotations", json=note())
        assert r.status_code == 201, r.text
        await eventually(lambda: got, "the author's annotation event")
        assert got[0]["type"] == "annotation.created" and got[0]["annotation"]["id"] == r.json()["id"]
        await live_server.app.state.jobs.drain()
        assert seen_by_other == []
        call(live_server.db, annotation_services.delete_annotation, actor=c.members[0], annotation_id=r.json()["id"])
        assert jobs(live_server.db) == [
            ("annotation.to_author", str(c.members[0].id))
        ]  # recorded by the service itself
    finally:
        for cl, h in ((tablet, http), (other, oh)):
            await cl.close()
            await h.aclose()


async def test_an_upload_renders_its_pages_through_the_outbox_and_a_secret_close_records_its_scrub(
    live_server: LiveServer,
) -> None:
    from documents import render, storage

    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(2))
        assert r.status_code == 201, r.text
    finally:
        await staff.aclose()
    await live_server.app.state.jobs.drain()
    done = live_server.db.run_read(lambda session: [v.sha256 for v in session.exec(select(DocumentVersion)).all()])
    assert render.pages_ready(live_server.settings.data_dir, done[0], 2) and jobs(live_server.db) == []
    assert storage.blob_path(live_server.settings.data_dir, done[0]).exists()

    p = present_cabinet(live_server.db)
    vote = new_vote(live_server.db, p, kind=VoteKind.secret, state="open")
    call(live_server.db, vote_services.close_vote, actor=p.chair, vote_id=vote["id"])
    assert jobs(live_server.db) == [("vote.scrub", str(vote["id"]))]  # the service recorded it, no route needed


async def test_a_job_whose_run_fails_is_tried_again_and_then_done(live_server: LiveServer) -> None:
    from core import outbox

    dispatcher = live_server.app.state.jobs
    runs: list[list[dict[str, Any]]] = []

    async def flaky(ctx: Any, ref: str, payloads: list[dict[str, Any]]) -> None:
        runs.append(payloads)
        if len(runs) == 1:
            raise OSError("the disk was busy")  # a transient failure of the work itself

    dispatcher.register("test.flaky", flaky)
    dispatcher.retry_after = (0.05,)  # this app only; the default waits seconds
    await live_server.app.state.ctx.write(
        lambda session: outbox.add(session, kind="test.flaky", ref="1", payload={"n": 1})
    )
    await eventually(lambda: jobs(live_server.db) == [], "the outbox to empty")
    assert runs == [[{"n": 1}], [{"n": 1}]]
