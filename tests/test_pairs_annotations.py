"""Presenter ink and editing a note, each refused for the caller who must not and allowed for the one who may
(denied/allowed pairs read by tests/test_service_pairs.py). Someone else's private note answers 404 (its
existence is its author's business); someone else's presenter ink, which the room sees, answers 403."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from core.actor import Actor
from annotations import presenter, services
from annotations.models import Annotation
from annotations.schemas import AnnotationCreate, AnnotationUpdate, InkData
from app.db import Database
from core.errors import Conflict, Forbidden, NotFound
from meetings.access import NotInvited
from meetings.events import MeetingEvent
from tests.annotation_helpers import ink, note
from tests.factories import Cabinet, call, make_cabinet
from tests.test_documents_permissions import _doc


def _event_types(db: Database, meeting_id: int, prefix: str) -> list[str]:
    with db.read_session() as s:
        rows = s.exec(
            select(MeetingEvent.type).where(MeetingEvent.meeting_id == meeting_id).order_by(col(MeetingEvent.seq))
        ).all()
    return [t for t in rows if t.startswith(prefix)]


def _presenting(db: Database) -> tuple[Cabinet, int]:
    c = make_cabinet(db, start=True)
    doc = _doc(db, c)
    call(db, presenter.start, actor=c.chair, meeting_id=c.meeting_id, document_id=doc)
    return c, doc


@pytest.mark.service_pair("annotations.presenter.add_ink")
def test_only_who_presents_draws_on_the_room_s_document(db: Database) -> None:
    c, doc = _presenting(db)
    stroke = InkData.model_validate(ink()["data"])
    args: dict[str, Any] = {"meeting_id": c.meeting_id, "page": 1, "kind": "ink", "data": stroke}
    with pytest.raises(Forbidden, match="trình chiếu"):  # denied: a member whose unit presents nothing now
        call(db, presenter.add_ink, actor=c.members[0], **args)
    with pytest.raises(NotInvited):  # denied: not invited
        call(db, presenter.add_ink, actor=c.outsider, **args)
    assert _event_types(db, c.meeting_id, "presenter.ink") == []
    made = call(db, presenter.add_ink, actor=c.secretary, **args)  # allowed: the secretary conducts the meeting
    assert made["shared"] is True and made["document_id"] == doc and made["author_id"] == c.secretary.id
    assert _event_types(db, c.meeting_id, "presenter.ink") == ["presenter.ink"]  # the room is told
    listed = db.run_read(services.list_annotations, actor=c.members[0], document_id=doc)
    assert [a["id"] for a in listed] == [made["id"]]  # every reader of the document sees it


def _remove_ink(session: Session, actor: Actor, annotation_id: int) -> None:
    """remove_ink takes the annotation row (delete_annotation passes it, then deletes it)."""
    annotation = session.get(Annotation, annotation_id)
    assert annotation is not None
    presenter.remove_ink(session=session, actor=actor, annotation=annotation)


@pytest.mark.service_pair("annotations.presenter.remove_ink")
def test_only_the_author_takes_presenter_ink_off_the_room_s_screens(db: Database) -> None:
    c, doc = _presenting(db)
    made = call(
        db,
        services.create_annotation,
        actor=c.chair,
        document_id=doc,
        data=AnnotationCreate.model_validate(ink(shared=True)),
    )
    for who in (c.secretary, c.members[0]):  # denied: the ink is the chair's, even for whoever conducts
        with pytest.raises(Forbidden):
            db.run_write(_remove_ink, actor=who, annotation_id=made["id"])
    with pytest.raises(NotInvited):
        db.run_write(_remove_ink, actor=c.outsider, annotation_id=made["id"])
    assert _event_types(db, c.meeting_id, "presenter.ink_removed") == []
    db.run_write(_remove_ink, actor=c.chair, annotation_id=made["id"])  # allowed: its author
    assert _event_types(db, c.meeting_id, "presenter.ink_removed") == ["presenter.ink_removed"]


@pytest.mark.service_pair("annotations.services.update_annotation")
def test_only_the_author_edits_a_note(db: Database) -> None:
    c, doc = _presenting(db)
    mine = call(
        db,
        services.create_annotation,
        actor=c.members[0],
        document_id=doc,
        data=AnnotationCreate.model_validate(note()),
    )
    edit = AnnotationUpdate(text="Đề nghị Bộ Tài chính làm rõ nguồn thu")
    with pytest.raises(NotFound):  # denied: someone else's private note is not there for them
        call(db, services.update_annotation, actor=c.members[1], annotation_id=mine["id"], data=edit)
    shared = call(
        db,
        services.create_annotation,
        actor=c.chair,
        document_id=doc,
        data=AnnotationCreate.model_validate(ink(shared=True)),
    )
    with pytest.raises(Forbidden):  # denied: the chair's presenter ink, though the secretary sees it
        call(db, services.update_annotation, actor=c.secretary, annotation_id=shared["id"], data=edit)
    with pytest.raises(Conflict):  # the room has seen it: deleted and drawn again, never edited
        call(db, services.update_annotation, actor=c.chair, annotation_id=shared["id"], data=edit)
    done = call(db, services.update_annotation, actor=c.members[0], annotation_id=mine["id"], data=edit)  # allowed
    assert done["text"] == "Đề nghị Bộ Tài chính làm rõ nguồn thu"
    listed = db.run_read(services.list_annotations, actor=c.members[0], document_id=doc)
    assert {a["id"]: a["text"] for a in listed}[mine["id"]] == done["text"]
