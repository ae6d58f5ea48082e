"""Polls: each operation refused for the wrong person and allowed for the right one (a pair table read by
tests/test_service_pairs.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.db import Database
from core.errors import NotFound
from polls import answering, closing, reporting, services, views
from polls.schemas import AnswerIn, AnswersIn, ExtendIn, PollCreate, QuestionIn, RulesIn
from tests.factories import call, denied_then_allowed
from tests.poll_helpers import QUESTIONS, Board, in_, make_board, make_office, make_poll

TZ = "Asia/Ho_Chi_Minh"
Poll = dict[str, Any]
# name -> (service, kwargs builder, allowed, denied, the poll's state first: None = no poll)
Case = tuple[Callable[..., Any], Callable[[Database, Board, Poll], dict[str, Any]], str, str, str | None]


def _create(db: Database, b: Board, p: Poll) -> dict[str, Any]:
    data = PollCreate(
        title="Lấy ý kiến về dự thảo Nghị định",
        summary="Bộ Tư pháp trình.",
        questions=[QuestionIn(text=QUESTIONS[0])],
        voter_ids=[m.id for m in b.voters],
        chair_id=b.chair.id,
        deadline_at=in_(3600),
        silence_counts_as="agree",
    )
    return {"data": data}


_DOC = {"title": "Dự thảo Nghị định", "sha256": "ab" * 32, "page_count": 2}


def _restricted_page(db: Database, b: Board, p: Poll) -> dict[str, Any]:
    """A page of a document restricted to one voter (members[1]): another voter is refused, that one reads it."""
    doc = call(
        db,
        services.add_document,
        actor=b.staff,
        poll_id=p["id"],
        restricted=True,
        allowed_user_ids=[b.members[1].id],
        **_DOC,
    )
    return {"poll_id": p["id"], "document_id": doc["id"], "page": 1, "timezone": TZ}


def _answers(db: Database, b: Board, p: Poll) -> dict[str, Any]:
    return {
        "poll_id": p["id"],
        "data": AnswersIn(answers=[AnswerIn(question_id=q["id"], choice="agree") for q in p["questions"]]),
    }


def _to_sign(db: Database, b: Board, p: Poll) -> dict[str, Any]:
    head, _deputy = make_office(db, b)  # b.office: the row's allowed or denied "office"
    digest = db.run_read(reporting.report_view, actor=head, poll_id=p["id"], tz=TZ)["digest"]
    return {"poll_id": p["id"], "shown": digest, "tz": TZ}


def _store(db: Database, b: Board, p: Poll) -> dict[str, Any]:
    digest = _to_sign(db, b, p)["shown"]
    return {"poll_id": p["id"], "report_sha256": "ab" * 32, "digest": digest, "tz": TZ}


def _decision(db: Database, b: Board, p: Poll) -> dict[str, Any]:
    """The report signed by the Office's head (the file's digest stands for the signed PDF here)."""
    kwargs = _store(db, b, p)
    call(db, reporting.store_report, actor=b.office, **kwargs)
    return {"poll_id": p["id"], "report_sha256": kwargs["report_sha256"]}


CASES: dict[str, Case] = {
    "create_poll": (services.create_poll, _create, "staff", "chair", None),
    "submit_poll": (services.submit_poll, lambda db, b, p: {"poll_id": p["id"]}, "staff", "chair", "draft"),
    "approve_poll": (
        services.approve_poll,
        lambda db, b, p: {"poll_id": p["id"], "tz": TZ},
        "chair",
        "staff",
        "submitted",
    ),
    "extend_poll": (
        services.extend_poll,
        lambda db, b, p: {
            "poll_id": p["id"],
            "data": ExtendIn(deadline_at=in_(7200), reason="Cần thêm thời gian"),
            "tz": TZ,
        },
        "staff",
        "member",
        "open",
    ),
    "get_poll": (views.get_poll, lambda db, b, p: {"poll_id": p["id"]}, "member", "outsider", "open"),
    "answer": (answering.answer, _answers, "member", "outsider", "open"),
    "sheet_to_sign": (answering.sheet_to_sign, _answers, "member", "outsider", "open"),
    "authorize_documents": (
        services.authorize_documents,
        lambda db, b, p: {"poll_id": p["id"]},
        "staff",
        "chair",
        "draft",
    ),
    "read_poll": (reporting.read_poll, lambda db, b, p: {"poll_id": p["id"], "tz": TZ}, "member", "outsider", "open"),
    "report_view": (
        reporting.report_view,
        lambda db, b, p: {"poll_id": p["id"], "tz": TZ},
        "staff",
        "member",
        "closed",
    ),
    # the Government Office's head signs the report (the chair is refused: he decides on it), then the chair decides
    "report_to_sign": (reporting.report_to_sign, _to_sign, "office", "chair", "closed"),
    "store_report": (reporting.store_report, _store, "office", "chair", "closed"),
    "decision_check": (reporting.decision_check, _decision, "chair", "office", "closed"),
    "decide": (reporting.decide, _decision, "chair", "staff", "closed"),
    "report_data": (closing.report_data, lambda db, b, p: {"poll_id": p["id"]}, "staff", "member", "closed"),
    "add_document": (
        services.add_document,
        lambda db, b, p: {"poll_id": p["id"], "restricted": False, "allowed_user_ids": [], **_DOC},
        "staff",
        "chair",
        "open",
    ),
    "document_page (restricted)": (services.document_page, _restricted_page, "member1", "member", "open"),
    "set_rules": (
        services.set_rules,
        lambda db, b, p: {"data": RulesIn(silence_default="none", require_signed_answers=False)},
        "admin",
        "staff",
        None,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, kwargs, allowed, denied, state = CASES[name]
    b = make_board(db)
    poll = make_poll(db, b, deadline=in_(3600), state="open" if state == "closed" else state) if state else {}
    if state == "closed":
        assert call(db, closing.close_poll, poll_id=poll["id"], now=in_(7200))
    who = lambda role: {"member": b.members[0], "member1": b.members[1]}.get(role) or getattr(b, role)
    if name == "document_page (restricted)" or denied == "outsider":  # off its list: as a missing document, or
        # a poll one is not asked on: as a poll that does not exist (polls/access.py load(actor=))
        args = kwargs(db, b, poll)
        with pytest.raises(NotFound):
            db.run_write(fn, actor=who(denied), **args)
        db.run_write(fn, actor=who(allowed), **args)
        return
    args = kwargs(db, b, poll)  # first: it may make who the row names (the Government Office's signers)
    denied_then_allowed(db, fn, who(denied), who(allowed), **args)
