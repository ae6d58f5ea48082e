"""A document one may not read is a document that does not exist, whatever keeps it from them: off a restricted
paper's list, not shared with a guest, in a meeting they are not invited to, in a draft they are invited to.
Every route addressed by a document's (or an annotation's) id answers as for an id never used: same status,
body and headers (the meeting's own 403 stays on routes addressed by the meeting's id). And the server does the
same work for both: the same SQL statements run for a refused id and an absent one (documents/access.py
`readable`), counted on the real engine, SQLite and PostgreSQL, so that the time of an answer tells nothing
either (timing itself cannot be tested reliably; a path that short-circuits changes the statements)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from annotations import presenter
from annotations import services as notes
from annotations.schemas import AnnotationCreate, AnnotationUpdate
from app.db import Database
from core.actor import Actor
from core.errors import DomainError, Forbidden, NotFound
from documents import services as docs
from documents.schemas import DocumentUpdate
from meetings.access import NotInvited
from tests.annotation_helpers import ink, note
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import call, make_cabinet
from tests.live import login
from tests.test_documents_permissions import _doc
from tests.test_restricted_existence import _same

TZ = "Asia/Ho_Chi_Minh"
D = Path("/nonexistent")
ABSENT_ID = 987_654


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    """The SQL text of every statement the engine runs meanwhile (the parameters, ids among them, aside)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _refused(db: Database, run: Callable[..., Any], *args: Any) -> tuple[type[DomainError], str, list[str]]:
    """(the refusal's class, its message, the statements that ran) of `run(*args)`."""
    with _statements(db) as seen:
        try:
            run(*args)
        except DomainError as exc:
            return type(exc), exc.to_dict("vi")["message"], list(seen)
    raise AssertionError("not refused")


class World:
    """Meeting A in session (a restricted paper on members[0]'s list only, an ordinary one not shared with
    guests, the chair's presenter ink, members[0]'s private note), and meeting B, a draft with a paper of its
    own, to which A's people are not invited."""

    def __init__(self, db: Database) -> None:
        self.a = make_cabinet(db, start=True)
        self.b = make_cabinet(db, publish=False)
        a = self.a
        self.plain = _doc(db, a)
        self.secret = _doc(db, a, restricted=True, allowed_user_ids=[a.members[0].id])
        self.draft = _doc(db, self.b)
        call(db, presenter.start, actor=a.chair, meeting_id=a.meeting_id, document_id=self.plain)
        shared = AnnotationCreate.model_validate(ink(shared=True))
        self.ink = call(db, notes.create_annotation, actor=a.chair, document_id=self.plain, data=shared)["id"]
        private = AnnotationCreate.model_validate(note())
        self.note = call(db, notes.create_annotation, actor=a.members[0], document_id=self.plain, data=private)["id"]

    def cases(self) -> list[tuple[str, Actor, int]]:
        """(why, who, a document they may not read)."""
        a, b = self.a, self.b
        return [
            ("off the restricted list", a.members[1], self.secret),
            ("not shared with guests", a.guest, self.plain),
            ("not invited to the meeting", a.members[1], self.draft),
            ("invited to a draft", b.members[0], self.draft),
        ]


def _document_services(db: Database) -> dict[str, Callable[[Actor, int], Any]]:
    """Every service addressed by a document id, as its route calls it."""

    def read(fn: Callable[..., Any], **kw: Any) -> Callable[[Actor, int], Any]:
        return lambda actor, d: db.run_read(fn, actor=actor, document_id=d, **kw)

    def write(fn: Callable[..., Any], **kw: Any) -> Callable[[Actor, int], Any]:
        return lambda actor, d: db.run_write(fn, actor=actor, document_id=d, **kw)

    return {
        "get_document": read(docs.get_document, data_dir=D),
        "page_source": read(docs.page_source, page=1, timezone=TZ),
        "page_source (version)": read(docs.page_source, page=1, version=1, timezone=TZ),
        "download_source": read(docs.download_source, timezone=TZ),
        "search_text": read(docs.search_text, q="ngan sach"),
        "update_document": write(docs.update_document, data=DocumentUpdate(title="Đổi tên"), data_dir=D),
        "delete_document": write(docs.delete_document),
        "list_annotations": read(notes.list_annotations),
        "create_annotation": write(notes.create_annotation, data=AnnotationCreate.model_validate(note())),
        "annotated_source": read(notes.annotated_source, version=None, timezone=TZ),
    }


def test_a_document_one_may_not_read_costs_the_statements_of_an_absent_one(any_db: Database) -> None:
    w = World(any_db)
    for name, run in _document_services(any_db).items():
        for why, actor, document_id in w.cases():
            hidden, absent = _refused(any_db, run, actor, document_id), _refused(any_db, run, actor, ABSENT_ID)
            assert hidden[:2] == absent[:2] == (NotFound, "Không tìm thấy tài liệu."), (name, why, hidden[:2])
            assert hidden[2] == absent[2], (name, why, len(hidden[2]), len(absent[2]))
        # the pair: who may read it gets it (members[0] is on the restricted paper's list), who manages, edits it
        if name in ("get_document", "page_source", "search_text", "list_annotations"):
            run(w.a.members[0], w.secret)
    assert (
        any_db.run_write(
            docs.update_document, actor=w.a.staff, document_id=w.secret, data=DocumentUpdate(title="Mới"), data_dir=D
        ).result["title"]
        == "Mới"
    )
    assert any_db.run_write(docs.delete_document, actor=w.b.secretary, document_id=w.draft).result == []


def _write(db: Database, fn: Callable[..., Any], actor: Actor, annotation_id: int, kw: dict[str, Any]) -> Any:
    return db.run_write(fn, actor=actor, annotation_id=annotation_id, **kw)


def test_an_annotation_one_may_not_touch_costs_the_statements_of_an_absent_one(any_db: Database) -> None:
    w = World(any_db)
    a, b = w.a, w.b
    edit = AnnotationUpdate(text="Sửa")
    for name, fn, kw in (
        ("update_annotation", notes.update_annotation, {"data": edit}),
        ("delete_annotation", notes.delete_annotation, {}),
    ):
        for why, actor, annotation_id in (
            ("presenter ink in a meeting one is not invited to", b.members[0], w.ink),
            ("presenter ink, to a guest (paper not shared with guests)", a.guest, w.ink),
            ("someone else's private note", a.members[1], w.note),
        ):
            hidden, absent = (
                _refused(any_db, _write, any_db, fn, actor, target, kw) for target in (annotation_id, ABSENT_ID)
            )
            assert hidden[:2] == absent[:2] == (NotFound, "Không tìm thấy ghi chú."), (name, why, hidden[:2])
            assert hidden[2] == absent[2], (name, why, len(hidden[2]), len(absent[2]))
    # the pair: a member who may read the paper but did not draw the ink hears why (the room sees it: 403)
    with pytest.raises(Forbidden):
        any_db.run_write(notes.delete_annotation, actor=a.members[1], annotation_id=w.ink)
    any_db.run_write(notes.update_annotation, actor=a.members[0], annotation_id=w.note, data=edit)


def test_a_hidden_meeting_answers_as_absent_on_routes_addressed_by_its_id(db: Database) -> None:
    """Addressed by the meeting's own id, a meeting one is not invited to answers as an absent meeting (ids are
    sequential: a "not invited" would confirm it exists); a paper of it as an absent document."""
    w = World(db)
    with pytest.raises(NotInvited, match="Không tìm thấy cuộc họp"):
        db.run_read(docs.list_documents, actor=w.a.members[1], meeting_id=w.b.meeting_id, data_dir=D)
    with pytest.raises(NotFound):
        db.run_read(docs.get_document, actor=w.a.members[1], document_id=w.draft, data_dir=D)


async def test_every_document_route_answers_a_hidden_meeting_s_paper_as_a_missing_one(
    live_server: LiveServer,
) -> None:
    db = live_server.db
    a = make_cabinet(db, start=True)
    b = make_cabinet(db, publish=False)
    staff = await login(live_server.url, a.staff.username)
    outsider = await login(live_server.url, a.members[1].username)  # not invited to B
    invited = await login(live_server.url, b.members[0].username)  # invited to B, a draft
    try:
        draft = (await upload(staff, b.meeting_id, make_pdf(2), title="Dự thảo mật")).json()["id"]
        plain = (await upload(staff, a.meeting_id, make_pdf(2), title="Tờ trình")).json()["id"]
        missing = max(draft, plain) + 1000
        for method, url, kw in (
            ("GET", "/api/documents/{d}", {}),
            ("PATCH", "/api/documents/{d}", {"json": {"title": "Đổi tên"}}),
            ("DELETE", "/api/documents/{d}", {}),
            ("GET", "/api/documents/{d}/pages/1", {}),
            ("GET", "/api/documents/{d}/pages/1?size=zoom", {}),
            ("GET", "/api/documents/{d}/pages/999", {}),
            ("GET", "/api/documents/{d}/pages/1?version=7", {}),
            ("GET", "/api/documents/{d}/text?q=ngan+sach", {}),
            ("GET", "/api/documents/{d}/download", {}),
            ("GET", "/api/documents/{d}/download?version=1", {}),
            ("GET", "/api/documents/{d}/annotations", {}),
            ("POST", "/api/documents/{d}/annotations", {"json": note()}),
            ("GET", "/api/documents/{d}/annotated.pdf", {}),
        ):
            for who in (outsider, invited):
                await _same(who, method, url, draft, missing, **kw)
        # the viewer page, in the caller's own meeting: a paper of a hidden meeting is as missing as an unused id
        page = f"/meetings/{a.meeting_id}/documents/{{d}}"
        hidden, absent = await outsider.get(page.format(d=draft)), await outsider.get(page.format(d=missing))
        assert hidden.status_code == absent.status_code == 404 and hidden.text == absent.text
        # the pair: staff read it; the meeting's own id answers as a meeting never made (ids are sequential)
        assert (await staff.get(f"/api/documents/{draft}")).status_code == 200
        r = await outsider.get(f"/api/meetings/{b.meeting_id}/documents")
        gone = await outsider.get(f"/api/meetings/{b.meeting_id + 1000}/documents")
        assert r.status_code == gone.status_code == 404 and r.text == gone.text, (r.text, gone.text)
        # presenter ink in a meeting one is not invited to: as missing as an annotation id never used
        chair = await login(live_server.url, a.chair.username)
        try:
            call(db, presenter.start, actor=a.chair, meeting_id=a.meeting_id, document_id=plain)
            made = await chair.post(f"/api/documents/{plain}/annotations", json=ink(shared=True))
            assert made.status_code == 201, made.text
        finally:
            await chair.aclose()
        ink_id = made.json()["id"]
        await _same(invited, "PATCH", "/api/annotations/{d}", ink_id, ink_id + 1000, json={"text": "x"})
        await _same(invited, "DELETE", "/api/annotations/{d}", ink_id, ink_id + 1000)
    finally:
        for h in (staff, outsider, invited):
            await h.aclose()
