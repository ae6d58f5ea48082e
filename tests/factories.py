"""Test factories: users and meetings created through the real services on a real database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from core.actor import Actor
from accounts.models import GlobalRole
from accounts.schemas import UserCreate
from accounts.services import create_user
from app.db import Database
from meetings import agenda, participation, services
from meetings.models import MeetingRole
from meetings.schemas import AgendaItemCreate, MeetingCreate, ParticipantCreate

PASSWORD = "Mật-khẩu-thử-2026"
_counter = itertools.count(1)


def make_user(
    db: Database, role: GlobalRole = GlobalRole.member, name: str | None = None, username: str | None = None
) -> Actor:
    n = next(_counter)
    data = UserCreate(
        username=username or f"u{n}-{role.value}",
        full_name=name or f"Người dùng Thử {n}",
        title="Bộ trưởng" if role == GlobalRole.member else "",
        unit="Bộ Thử nghiệm",
        role=role,
        password=PASSWORD,
    )
    user = db.run_write(create_user, actor=None, data=data, min_length=10, check_names=False).result
    return Actor(id=user.id, username=user.username, full_name=user.full_name, role=role)


@dataclass
class Cabinet:
    """A meeting with a chair, a secretary, `n_members` members and a guest, plus an outsider."""

    meeting_id: int
    staff: Actor
    chair: Actor
    secretary: Actor
    members: list[Actor]
    guest: Actor
    outsider: Actor
    item_ids: list[int] = field(default_factory=list)

    def by_name(self, name: str) -> Actor:
        return {
            "staff": self.staff,
            "chair": self.chair,
            "secretary": self.secretary,
            "member": self.members[0],
            "guest": self.guest,
            "outsider": self.outsider,
        }[name]


def make_cabinet(
    db: Database, *, n_members: int = 5, n_items: int = 3, publish: bool = True, start: bool = False
) -> Cabinet:
    staff = make_user(db, GlobalRole.secretariat, "Nguyễn Thị Văn Phòng")
    chair = make_user(db, GlobalRole.member, "Phạm Thủ Tướng")
    secretary = make_user(db, GlobalRole.member, "Lê Thư Ký")
    members = [make_user(db, GlobalRole.member, f"Thành Viên Số {i}") for i in range(n_members)]
    guest = make_user(db, GlobalRole.guest, "Khách Mời Đặc Biệt")
    outsider = make_user(db, GlobalRole.member, "Người Ngoài Cuộc")
    meeting = db.run_write(
        services.create_meeting,
        actor=staff,
        data=MeetingCreate(title="Phiên họp thử nghiệm ngân sách", place="Phòng họp số 1"),
    ).result
    mid = meeting["id"]
    item_ids = [
        db.run_write(
            agenda.add_item,
            actor=staff,
            meeting_id=mid,
            data=AgendaItemCreate(title=f"Nội dung {i + 1}: dự toán ngân sách", presenter="Bộ Tài chính"),
        ).result["id"]
        for i in range(n_items)
    ]
    roster = [(chair, MeetingRole.chair), (secretary, MeetingRole.secretary), (guest, MeetingRole.guest)]
    roster += [(m, MeetingRole.member) for m in members]
    for actor, role in roster:
        db.run_write(
            participation.invite, actor=staff, meeting_id=mid, data=ParticipantCreate(user_id=actor.id, role=role)
        )
    if publish:
        db.run_write(services.publish_meeting, actor=staff, meeting_id=mid)
    if start:
        db.run_write(services.start_meeting, actor=chair, meeting_id=mid, force=True)  # nobody checked in yet
    return Cabinet(mid, staff, chair, secretary, members, guest, outsider, item_ids)


def call(db: Database, fn: Any, **kwargs: Any) -> Any:
    return db.run_write(fn, **kwargs).result


def denied_then_allowed(db: Database, fn: Any, denied: Actor, allowed: Actor, **kwargs: Any) -> Any:
    """A pair-table row: `denied` is refused with Forbidden, then `allowed` succeeds with the same arguments."""
    from core.errors import Forbidden

    try:
        db.run_write(fn, actor=denied, **kwargs)
    except Forbidden:
        return db.run_write(fn, actor=allowed, **kwargs).result
    raise AssertionError(f"{fn.__module__}.{fn.__name__}: {denied.full_name} was not refused")
