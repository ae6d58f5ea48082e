"""A scripted session through the real services (attendance of every kind, speeches, an open, a named and a
secret vote, conclusions), the signers' keys, and PDF text extraction, for the minutes tests and the bench."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from core.actor import Actor
from app.db import Database
from app.domains import register_speakers
from meetings import participation, services as meetings
from meetings.models import Attendance
from meetings.schemas import CheckInRequest, ParticipantUpdate
from minutes import conclusions
from speakers import services as speakers
from speakers.schemas import SpeakRequest
from tests.factories import PASSWORD, Cabinet, call, make_cabinet
from votes import casting, services as votes
from votes.models import VoteKind
from votes.schemas import VoteCreate

DEPUTY = "Trần Văn Dự Thay"
ABSENCE = "Đi công tác nước ngoài"
QUESTIONS = {
    VoteKind.open: "Thông qua dự toán ngân sách nhà nước năm 2027?",
    VoteKind.named: "Tán thành phương án phân bổ vốn đầu tư công?",
    VoteKind.secret: "Đồng ý kiện toàn nhân sự Ban Chỉ đạo?",
}
CONCLUSIONS = [
    "Chính phủ thống nhất thông qua; giao Bộ Tài chính hoàn thiện, trình ký ban hành trước ngày 15/12/2026.",
    "Giao Bộ Kế hoạch và Đầu tư tiếp thu ý kiến thành viên, báo cáo Thủ tướng trong tháng 12.",
    "Đồng ý về chủ trương; Văn phòng Chính phủ thông báo kết luận bằng văn bản.",
]


@dataclass
class Scripted:
    cabinet: Cabinet
    vote_ids: dict[VoteKind, int]

    @property
    def meeting_id(self) -> int:
        return self.cabinet.meeting_id


def _cast(db: Database, vote: dict[str, Any], choices: list[tuple[Actor, str]]) -> None:
    ids = {o["kind"]: o["id"] for o in vote["options"]}
    for actor, kind in choices:
        if vote["kind"] == "secret":  # encrypted as a tablet does (tests/vote_helpers.py)
            from tests.vote_helpers import cast_secret

            cast_secret(db, actor, vote, kind)
        else:
            call(db, casting.cast, actor=actor, vote_id=vote["id"], option_id=ids[kind])


def _vote(
    db: Database,
    c: Cabinet,
    item_id: int,
    kind: VoteKind,
    choices: list[tuple[Actor, str]],
    question: str | None = None,
) -> int:
    vote = call(
        db,
        votes.create_vote,
        actor=c.secretary,
        meeting_id=c.meeting_id,
        data=VoteCreate(agenda_item_id=item_id, question=question or QUESTIONS[kind], kind=kind),
    )
    if kind == VoteKind.secret:
        from tests.vote_helpers import ensure_ceremony

        ensure_ceremony(db, c)
    vote = call(db, votes.open_vote, actor=c.chair, vote_id=vote["id"])
    _cast(db, vote, choices)
    call(db, votes.close_vote, actor=c.chair, vote_id=vote["id"])
    if kind == VoteKind.secret:
        from tests.vote_helpers import decrypt

        decrypt(db, c, vote)
    return vote["id"]


def _speak(db: Database, c: Cabinet, people: list[Actor]) -> None:
    for person in people:
        call(db, speakers.request_floor, actor=c.chair, meeting_id=c.meeting_id, data=SpeakRequest(user_id=person.id))


def _conclude(db: Database, c: Cabinet, item_id: int, text: str, publish: bool = True) -> None:
    saved = call(
        db,
        conclusions.save_conclusion,
        actor=c.staff,
        meeting_id=c.meeting_id,
        item_id=item_id,
        text=text,
        base_revision=0,
    )
    if publish:
        call(db, conclusions.publish_conclusion, actor=c.chair, meeting_id=c.meeting_id, item_id=item_id)
    assert saved["revision"] == 1


def scripted_meeting(db: Database, *, end: bool = True) -> Scripted:
    """7 voting members (chair + 6): 4 in the room, 1 remote, 1 deputy, 1 absent; a guest; 3 items."""
    register_speakers()  # the end-of-speech hook, as create_app installs it
    c = make_cabinet(db, n_members=6, n_items=3)
    m = c.members
    for actor in (c.chair, m[0], m[4], m[5], c.guest):
        call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())
    call(
        db,
        participation.check_in,
        actor=m[1],
        meeting_id=c.meeting_id,
        data=CheckInRequest(attendance=Attendance.present_remote),
    )
    for actor, data in (
        (m[2], ParticipantUpdate(attendance=Attendance.deputy, deputy_name=DEPUTY)),
        (m[3], ParticipantUpdate(attendance=Attendance.absent, absence_reason=ABSENCE)),
    ):
        call(db, participation.update, actor=c.staff, meeting_id=c.meeting_id, user_id=actor.id, data=data)
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    ids: dict[VoteKind, int] = {}
    _speak(db, c, [m[0], m[1], m[2]])
    ids[VoteKind.open] = _vote(
        db,
        c,
        c.item_ids[0],
        VoteKind.open,
        [(c.chair, "yes"), (m[0], "yes"), (m[1], "yes"), (m[4], "yes"), (m[5], "no")],
    )
    _conclude(db, c, c.item_ids[0], CONCLUSIONS[0])
    call(db, meetings.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    _speak(db, c, [m[4], c.guest])
    ids[VoteKind.named] = _vote(
        db,
        c,
        c.item_ids[1],
        VoteKind.named,
        [(c.chair, "yes"), (m[0], "no"), (m[1], "abstain"), (m[4], "yes"), (m[5], "yes")],
    )
    _conclude(db, c, c.item_ids[1], CONCLUSIONS[1], publish=False)
    call(db, meetings.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    ids[VoteKind.secret] = _vote(
        db,
        c,
        c.item_ids[2],
        VoteKind.secret,
        [(c.chair, "yes"), (m[0], "yes"), (m[1], "no"), (m[4], "yes"), (m[5], "no")],
    )
    _conclude(db, c, c.item_ids[2], CONCLUSIONS[2])
    if end:
        call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    return Scripted(c, ids)


def signer_keys(data_dir: Path, c: Cabinet, password: str = PASSWORD) -> Path:
    from ledger.keystore import ensure_demo_signers

    keys = data_dir / "keys"
    ensure_demo_signers(
        keys,
        [
            (c.secretary.username, c.secretary.full_name, "Thư ký cuộc họp"),
            (c.chair.username, c.chair.full_name, "Chủ tọa"),
        ],
        password,
    )
    return keys


def pdf_text(pdf: bytes) -> tuple[str, int]:
    """Text of every page (NFC, whitespace collapsed) and the page count."""
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
        return " ".join(unicodedata.normalize("NFC", "\n".join(pages)).split()), len(doc)
    finally:
        doc.close()
