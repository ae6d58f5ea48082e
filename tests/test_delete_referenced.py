"""Every DELETE of a row that others may point at answers 204 or a 409 that says why, never a 500 from a foreign key.

Two halves: the schema's half reads every foreign key from the models' metadata and checks that each table a DELETE
route removes rows of has only reviewed referrers (a new DELETE route or a new foreign key to such a table fails here
until its delete path says what happens to it); the server's half drives each DELETE whose row can be pointed at
through a real uvicorn, with everything that can point at it in place."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import SQLModel

import app.models  # noqa: F401  every table in the metadata
from app.domains import openapi_operations
from tests.annotation_helpers import note
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import call, make_cabinet
from tests.live import login
from tests.vote_helpers import present_cabinet
from votes import services as votes
from votes.schemas import VoteCreate

# Each DELETE route: the table whose row it removes, and for each foreign key into that table what the delete path
# does with the rows holding it.
DELETES: dict[str, tuple[str, dict[str, str]]] = {
    "/api/meetings/{meeting_id}/agenda/{item_id}": (
        "agenda_item",
        {
            "vote.agenda_item_id": "409 (meetings/agenda.py: infra/references.py reads every referrer)",
            "speaker_request.agenda_item_id": "409 (the same; only a discussed item has speakers, refused before)",
        },
    ),
    "/api/meetings/{meeting_id}/participants/{user_id}": ("participant", {}),
    "/api/meetings/{meeting_id}/display-tokens/{token_id}": ("display_token", {}),
    "/api/documents/{document_id}": (
        "document",
        {
            "document_version.document_id": "deleted with it, pages first (documents/services.py: delete_document)",
            "document_access.document_id": "deleted with it (the same)",
        },
    ),
    "/api/annotations/{annotation_id}": ("annotation", {}),
    "/api/workdays/overrides/{override_id}": ("workday_override", {}),
    "/api/notifications/email/pending": ("notification_address_change", {}),
    "/api/notices/{notice_id}/tasks/{task_id}": (
        "notice_task",
        {"task_report.task_id": "none exists: a task is deleted only from a draft notice, reports follow its issue"},
    ),
}


def _referrers() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            found.setdefault(fk.column.table.name, set()).add(f"{table.name}.{fk.parent.name}")
    return found


def test_every_delete_route_and_every_foreign_key_into_its_table_is_reviewed() -> None:
    routes = {op.path for op in openapi_operations() if op.method == "delete"}
    assert routes == set(DELETES), f"DELETE routes not reviewed here (or gone): {routes ^ set(DELETES)}"
    referrers = _referrers()
    tables = set(SQLModel.metadata.tables)
    for path, (table, handled) in DELETES.items():
        assert table in tables, f"{path}: no table {table}"
        new = referrers.get(table, set()) - set(handled)
        assert not new, f"{path}: foreign keys into {table} its delete path does not handle yet: {sorted(new)}"


def _conflict(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 409, r.text
    body: dict[str, Any] = r.json()["error"]
    assert body["code"] == "invalid_state" and body["message"], body
    return body


@pytest.mark.service_pair("meetings.agenda.delete_item")
async def test_an_item_a_vote_is_held_on_is_not_deleted(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db, n_items=3)  # published: a draft vote may be prepared on a pending item
    staff, member = [await login(live_server.url, a.username) for a in (c.staff, c.members[0])]
    agenda = f"/api/meetings/{c.meeting_id}/agenda"
    try:
        r = await staff.post(
            f"/api/meetings/{c.meeting_id}/votes", json={"agenda_item_id": c.item_ids[1], "question": "Thông qua?"}
        )
        assert r.status_code == 201, r.text
        vote = r.json()
        assert (await member.delete(f"{agenda}/{c.item_ids[1]}")).status_code == 403  # denied
        body = _conflict(await staff.delete(f"{agenda}/{c.item_ids[1]}"))
        assert "biểu quyết" in body["message"] and body["details"]["by"] == ["vote"], body
        assert c.item_ids[1] in [i["id"] for i in (await staff.get(agenda)).json()]
        moved = await staff.patch(f"/api/votes/{vote['id']}", json={"agenda_item_id": c.item_ids[0]})
        assert moved.status_code == 200, moved.text
        assert (await staff.delete(f"{agenda}/{c.item_ids[1]}")).status_code == 204  # allowed once nothing holds it
    finally:
        for client in (staff, member):
            await client.aclose()


async def test_a_closed_vote_on_an_item_never_discussed_keeps_it(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db, n_members=2)
    pending = c.item_ids[2]  # never made current (a vote may be opened on a pending item)
    data = VoteCreate(agenda_item_id=pending, question="Thông qua nội dung chưa thảo luận?")
    vote = call(db, votes.create_vote, actor=c.secretary, meeting_id=c.meeting_id, data=data)
    call(db, votes.open_vote, actor=c.chair, vote_id=vote["id"])
    call(db, votes.close_vote, actor=c.chair, vote_id=vote["id"])
    staff = await login(live_server.url, c.staff.username)
    try:
        items = {i["id"]: i for i in (await staff.get(f"/api/meetings/{c.meeting_id}/agenda")).json()}
        assert items[pending]["state"] == "pending", items[pending]
        _conflict(await staff.delete(f"/api/meetings/{c.meeting_id}/agenda/{pending}"))
    finally:
        await staff.aclose()


async def test_rows_pointed_at_by_others_delete_whole_or_answer_409(live_server: LiveServer) -> None:
    """A document with a second version, a list of readers and notes on it; a participant who is on that list and
    holds a key of a draft secret vote; a note: each DELETE answers 204 (its children go with it), never a 500."""
    db = live_server.db
    c = make_cabinet(db, n_members=3, n_items=2)
    staff, member = [await login(live_server.url, a.username) for a in (c.staff, c.members[0])]
    try:
        r = await upload(staff, c.meeting_id, make_pdf(1), restricted=True, allowed_user_ids=[c.members[0].id])
        assert r.status_code == 201, r.text
        doc = r.json()["id"]
        again = await upload(staff, c.meeting_id, make_pdf(2), replaces_document_id=doc)
        assert again.status_code in (200, 201), again.text
        noted = await member.post(f"/api/documents/{doc}/annotations", json=note())
        assert noted.status_code == 201, noted.text
        mine = await member.post(f"/api/documents/{doc}/annotations", json=note(text="Ghi chú thứ hai"))
        assert (await member.delete(f"/api/annotations/{mine.json()['id']}")).status_code == 204
        secret = await staff.post(
            f"/api/meetings/{c.meeting_id}/votes",
            json={"agenda_item_id": c.item_ids[0], "question": "Bỏ phiếu kín?", "kind": "secret"},
        )
        assert secret.status_code == 201, secret.text
        gone = await staff.delete(f"/api/meetings/{c.meeting_id}/participants/{c.members[0].id}")
        assert gone.status_code in (204, 409), gone.text
        assert (await staff.delete(f"/api/documents/{doc}")).status_code == 204
        assert (await staff.get(f"/api/documents/{doc}")).status_code == 404
    finally:
        for client in (staff, member):
            await client.aclose()
