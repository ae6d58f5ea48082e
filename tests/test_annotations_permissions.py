"""Annotations and presenting: each operation refused for the wrong person and allowed for the right one (a pair
table read by tests/test_service_pairs.py). Someone else's private note answers 404, never 403 (its existence is
its author's business), so the pairs on one annotation use presenter ink, which the whole room sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.errors import NotFound

from annotations import presenter, services
from annotations.schemas import AnnotationCreate
from app.db import Database
from tests.annotation_helpers import ink, note
from tests.factories import Cabinet, call, denied_then_allowed, make_cabinet
from tests.test_documents_permissions import _doc

Setup = Callable[[Database, Cabinet, int], dict[str, Any]]
# name -> (service, kwargs builder (gets the document id), allowed, denied)
Case = tuple[Callable[..., Any], Setup, str, str]


def _presenting(db: Database, c: Cabinet, doc: int) -> dict[str, Any]:
    call(db, presenter.start, actor=c.chair, meeting_id=c.meeting_id, document_id=doc)
    return {"meeting_id": c.meeting_id}


def _shared_ink(db: Database, c: Cabinet, doc: int) -> dict[str, Any]:
    _presenting(db, c, doc)
    made = call(
        db,
        services.create_annotation,
        actor=c.chair,
        document_id=doc,
        data=AnnotationCreate.model_validate(ink(shared=True)),
    )
    return {"annotation_id": made["id"]}


CASES: dict[str, Case] = {
    "list_annotations": (services.list_annotations, lambda db, c, doc: {"document_id": doc}, "member", "guest"),
    "create_annotation": (
        services.create_annotation,
        lambda db, c, doc: {"document_id": doc, "data": AnnotationCreate.model_validate(note())},
        "member",
        "guest",
    ),
    "annotated_source": (
        services.annotated_source,
        lambda db, c, doc: {"document_id": doc, "version": None, "timezone": "Asia/Ho_Chi_Minh"},
        "member",
        "guest",
    ),
    "delete_annotation (presenter ink)": (services.delete_annotation, _shared_ink, "chair", "secretary"),
    "presenter.start": (
        presenter.start,
        lambda db, c, doc: {"meeting_id": c.meeting_id, "document_id": doc},
        "chair",
        "member",
    ),
    "presenter.status": (presenter.status, lambda db, c, doc: {"meeting_id": c.meeting_id}, "member", "outsider"),
    "presenter.set_page": (
        presenter.set_page,
        lambda db, c, doc: {**_presenting(db, c, doc), "page": 2},
        "chair",
        "member",
    ),
    "presenter.stop": (presenter.stop, _presenting, "chair", "member"),
    "presenter.pointer_target": (presenter.pointer_target, _presenting, "secretary", "member"),
}


# A document the guest may not read is, to them, a missing one (documents/access.py read_access): refused as such.
ABSENT = {"list_annotations", "create_annotation", "annotated_source", "presenter.status"}  # outsider: as if absent


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, kwargs, allowed, denied = CASES[name]
    c = make_cabinet(db, start=True)
    args = kwargs(db, c, _doc(db, c))
    if name in ABSENT:
        with pytest.raises(NotFound):
            db.run_write(fn, actor=c.by_name(denied), **args)
        db.run_write(fn, actor=c.by_name(allowed), **args)
        return
    denied_then_allowed(db, fn, c.by_name(denied), c.by_name(allowed), **args)
