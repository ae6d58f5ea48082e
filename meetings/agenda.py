"""Agenda operations (nội dung họp): add, edit, delete, reorder. Prepared by the secretariat."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.actor import Actor
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import N_
from infra.references import referencing
from meetings import hooks, notify, serialize
from meetings.access import Access, access, require_manage
from meetings.models import AgendaItem, ItemState, MeetingState
from meetings.schemas import AgendaItemCreate, AgendaItemPublic, AgendaItemUpdate
from meetings.services import emit, require_state

_EDITABLE = (MeetingState.draft, MeetingState.published, MeetingState.started)
# What may hold an item (a foreign key to agenda_item, infra/references.py), as a refusal names it.
_HELD = {"vote": N_("biểu quyết"), "speaker_request": N_("đăng ký phát biểu")}


def _public(item: AgendaItem) -> dict[str, Any]:
    return AgendaItemPublic.model_validate(item, from_attributes=True).model_dump(mode="json")


def _editable(session: Session, actor: Actor, meeting_id: int) -> Access:
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, _EDITABLE, "sửa chương trình của")
    return acc


def _item(items: list[AgendaItem], item_id: int, meeting_id: int) -> AgendaItem:
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise NotFound("Không tìm thấy nội dung họp.")
    return item


def _renumber(session: Session, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            session.add(item)


def _changed(session: Session, acc: Access, **extra: Any) -> None:
    session.flush()
    hooks.text_changed(session, acc.meeting.id or 0)
    emit(session, acc, "agenda.updated", agenda=serialize.agenda_data(session, acc.meeting_id), **extra)
    notify.changed(session, acc.meeting, acc.actor.id, ["agenda"])


def list_agenda(*, session: Session, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    access(session, actor, meeting_id)
    return serialize.agenda_data(session, meeting_id)


def add_item(*, session: Session, actor: Actor, meeting_id: int, data: AgendaItemCreate) -> dict[str, Any]:
    acc = _editable(session, actor, meeting_id)
    items = serialize.agenda_items(session, meeting_id)
    position = min(data.position or len(items) + 1, len(items) + 1)
    item = AgendaItem(meeting_id=meeting_id, **data.model_dump(exclude={"position"}), position=0)
    session.add(item)
    items.insert(position - 1, item)
    _renumber(session, items)
    _changed(session, acc)
    return _public(item)


def update_item(
    *, session: Session, actor: Actor, meeting_id: int, item_id: int, data: AgendaItemUpdate
) -> dict[str, Any]:
    acc = _editable(session, actor, meeting_id)
    item = _item(serialize.agenda_items(session, meeting_id), item_id, meeting_id)
    # every field sent is set: the schema refuses null where a column cannot be empty, and a null speech limit
    # means the organisation's default again
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(item, key, value)
    session.add(item)
    _changed(session, acc)
    return _public(item)


def delete_item(*, session: Session, actor: Actor, meeting_id: int, item_id: int) -> None:
    acc = _editable(session, actor, meeting_id)
    items = serialize.agenda_items(session, meeting_id)
    item = _item(items, item_id, meeting_id)
    if item.state != ItemState.pending:
        raise Conflict("Không thể xóa nội dung “{title}”: nội dung đã hoặc đang được thảo luận.", title=item.title)
    held = referencing(session, "agenda_item", item.id)
    if held:
        raise Conflict(
            "Không thể xóa nội dung “{title}”: đã có {what} gắn với nội dung này.",
            title=item.title,
            what=_HELD.get(held[0], N_("dữ liệu khác")),
            details={"reason": "referenced", "by": held},
        )
    items.remove(item)
    session.delete(item)
    session.flush()
    _renumber(session, items)
    _changed(session, acc)


def reorder(*, session: Session, actor: Actor, meeting_id: int, item_ids: list[int]) -> list[dict[str, Any]]:
    acc = _editable(session, actor, meeting_id)
    items = serialize.agenda_items(session, meeting_id)
    if sorted(item_ids) != sorted(i.id or 0 for i in items):
        raise ValidationFailed(
            "Danh sách sắp xếp phải gồm đúng mỗi nội dung của cuộc họp một lần.",
            details=[{"field": "item_ids", "message": "phải là một hoán vị của các nội dung hiện có"}],
        )
    by_id = {i.id: i for i in items}
    _renumber(session, [by_id[i] for i in item_ids])
    _changed(session, acc)
    return serialize.agenda_data(session, meeting_id)
