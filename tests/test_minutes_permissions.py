"""Every conclusions/minutes operation refused for the wrong person and allowed for the right one."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from app.db import Database
from infra.settings import Settings
from core.errors import Forbidden, NotFound
from minutes import conclusions, services
from tests.factories import call
from tests.minutes_helpers import Scripted, scripted_meeting, signer_keys
from tests.test_minutes import sign

# name -> (operation(db, settings, scripted, actor), allowed, denied, setup(db, settings, scripted))
Op = Callable[[Database, Settings, Scripted, Any], Any]


def _read(fn: Callable[..., Any], **kw: Any) -> Op:
    return lambda db, st, s, actor: db.run_read(fn, actor=actor, meeting_id=s.meeting_id, **kw)


def _write(fn: Callable[..., Any], **kw: Any) -> Op:
    return lambda db, st, s, actor: call(db, fn, actor=actor, meeting_id=s.meeting_id, **kw)


def _finalised(db: Database, st: Settings, s: Scripted) -> None:
    signer_keys(st.data_dir, s.cabinet)
    call(db, services.finalise, actor=s.cabinet.staff, meeting_id=s.meeting_id)


def _secretary_signed(db: Database, st: Settings, s: Scripted) -> None:
    _finalised(db, st, s)
    sign(db, st, s.cabinet.secretary, s.meeting_id)


def _signed(db: Database, st: Settings, s: Scripted) -> None:
    _secretary_signed(db, st, s)
    sign(db, st, s.cabinet.chair, s.meeting_id)


def _item(s: Scripted) -> int:
    return s.cabinet.item_ids[0]


CASES: dict[str, tuple[Op, str, str, Callable[..., None] | None]] = {
    "list_conclusions": (_read(conclusions.list_conclusions), "chair", "member", None),
    "save_conclusion": (
        lambda db, st, s, a: call(
            db,
            conclusions.save_conclusion,
            actor=a,
            meeting_id=s.meeting_id,
            item_id=_item(s),
            text="Kết luận mới",
            base_revision=1,
        ),
        "chair",
        "member",
        None,
    ),
    "publish_conclusion": (
        lambda db, st, s, a: call(
            db, conclusions.publish_conclusion, actor=a, meeting_id=s.meeting_id, item_id=_item(s)
        ),
        "staff",
        "guest",
        None,
    ),
    "get_draft": (_read(services.get_draft), "secretary", "member", None),
    "get_draft_outsider": (_read(services.get_draft), "staff", "outsider", None),
    "edit_section": (_write(services.edit_section, key="opening", text="Mở đầu"), "staff", "chair", None),
    "draft_pdf": (_read(services.get_pdf), "chair", "member", None),
    "docx": (_read(services.get_docx), "secretary", "guest", None),
    "finalise": (_write(services.finalise), "staff", "chair", None),
    "new_version": (_write(services.new_version), "staff", "member", _finalised),
    "sign_first": (lambda db, st, s, a: sign(db, st, a, s.meeting_id), "secretary", "staff", _finalised),
    "sign_second": (lambda db, st, s, a: sign(db, st, a, s.meeting_id), "chair", "secretary", _secretary_signed),
    "signed_pdf_member": (_read(services.get_pdf), "member", "outsider", _signed),
    "signed_pdf_guest": (_read(services.get_pdf), "guest", "outsider", _signed),
    "versions": (_read(services.list_versions), "member", "outsider", _signed),
}


@pytest.mark.service_pair("minutes.signoff.prepare_signature")  # the sign_* rows: a signer out of turn is refused
@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, settings: Settings, name: str) -> None:
    op, allowed, denied, setup = CASES[name]
    s = scripted_meeting(db)
    if setup:
        setup(db, settings, s)
    refusal = NotFound if denied == "outsider" else Forbidden  # not invited: the meeting answers as absent
    with pytest.raises(refusal):
        op(db, settings, s, s.cabinet.by_name(denied))
    op(db, settings, s, s.cabinet.by_name(allowed))


def test_unsigned_minutes_are_not_for_members(db: Database, settings: Settings) -> None:
    s = scripted_meeting(db)
    _secretary_signed(db, settings, s)
    for name in ("member", "guest"):
        with pytest.raises(Forbidden):
            db.run_read(services.get_pdf, actor=s.cabinet.by_name(name), meeting_id=s.meeting_id)
        with pytest.raises(Forbidden):
            db.run_read(services.get_pdf, actor=s.cabinet.by_name(name), meeting_id=s.meeting_id, version=1)
    assert db.run_read(services.list_versions, actor=s.cabinet.members[0], meeting_id=s.meeting_id) == []
