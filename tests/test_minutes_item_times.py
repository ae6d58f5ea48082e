"""The minutes' "Nội dung (theo diễn biến cuộc họp)" follows the session: each item with when it was discussed
(each stretch as the current item, on the organisation's clock), in the order the session took them up, an item
never taken up said so; the same in the draft, the PDF and the Word file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, update
from sqlmodel import col, select

from app.db import Database
from meetings import services as meetings
from meetings.events import MeetingEvent
from minutes import facts, services as minutes
from minutes.builder import discussed, in_session_order
from tests.factories import call, make_cabinet
from tests.minutes_helpers import pdf_text
from tests.record_helpers import docx_text

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TEN = timedelta(minutes=10)


def _item_events(conn: Connection, meeting_id: int) -> list[tuple[int, datetime]]:
    """(id, at) of the events that set the current item (minutes/facts.py _taken), in their order."""
    rows = conn.execute(
        select(MeetingEvent.id, MeetingEvent.at)
        .where(
            col(MeetingEvent.meeting_id) == meeting_id,
            col(MeetingEvent.type).in_(("meeting.started", "agenda.current_changed", "meeting.ended")),
        )
        .order_by(col(MeetingEvent.seq))
    )
    return [(int(i), at) for i, at in rows]


def test_items_in_the_order_taken_up_with_their_times() -> None:
    at = lambda h, m: datetime(2026, 12, 3, h - 7, m, tzinfo=timezone.utc)  # a Hà Nội wall-clock time
    first = facts.Item(1, 1, "Báo cáo kinh tế - xã hội", "Bộ Kế hoạch và Đầu tư", ((at(8, 5), at(8, 40)),))
    second = facts.Item(2, 2, "Dự án Luật Đất đai", "Bộ Tài nguyên và Môi trường", ((at(9, 30), at(10, 0)),))
    third = facts.Item(3, 3, "Đề án chuyển đổi số", "Bộ Thông tin và Truyền thông", ((at(8, 40), at(9, 30)),))
    skipped = facts.Item(4, 4, "Tờ trình bổ sung", "Bộ Tư pháp")
    ordered = in_session_order((first, second, third, skipped))
    assert [i.position for i in ordered] == [1, 3, 2, 4]  # item 3 was taken up before item 2
    assert discussed(third, HANOI, True) == "từ 08:40 đến 09:30"
    assert discussed(skipped, HANOI, True) == "không thảo luận tại phiên họp"
    assert discussed(skipped, HANOI, False) == ""  # no session record at all: nothing to say


def test_an_item_returned_to_lists_both_stretches_in_every_file(db: Database) -> None:
    c = make_cabinet(db, n_items=3, start=True)
    for direction in (1, -1, 1):  # item 1 → 2 → back to 1 → 2
        call(db, meetings.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=direction)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    gathered = db.run_read(lambda session: facts.gather(session, c.meeting_id))
    by_position = {i.position: i for i in gathered.items}
    assert len(by_position[1].taken) == 2 and len(by_position[2].taken) == 2 and by_position[3].taken == ()
    assert by_position[1].taken[0][1] == by_position[2].taken[0][0]  # one stretch ends as the next begins
    last_end, ended = by_position[2].taken[-1][1], gathered.ended_at
    assert last_end is not None and ended is not None and abs((last_end - ended).total_seconds()) < 1  # the end
    # The taps came within a second, and the minutes write hh:mm (a stretch inside one minute reads "lúc hh:mm": see
    # tests/test_minutes_identity.py): the recorded moments ten minutes apart, as a session would take the items.
    with db.engine.begin() as conn:
        moved = _item_events(conn, c.meeting_id)
        first = moved[0][1]
        for k, (event_id, _) in enumerate(moved):
            conn.execute(update(MeetingEvent).where(col(MeetingEvent.id) == event_id).values(at=first + k * TEN))
    draft = db.run_read(minutes.get_draft, actor=c.staff, meeting_id=c.meeting_id)
    summaries = [s["effective"] for s in draft["sections"] if s["key"].endswith(":summary")]
    assert summaries[0].startswith("- Thời gian thảo luận: từ ") and "; từ " in summaries[0]
    assert summaries[2].startswith("- Thời gian thảo luận: không thảo luận tại phiên họp.")
    call(db, minutes.finalise, actor=c.staff, meeting_id=c.meeting_id)
    pdf = pdf_text(db.run_read(minutes.get_pdf, actor=c.staff, meeting_id=c.meeting_id).data)[0]
    word = docx_text(db.run_read(minutes.get_docx, actor=c.staff, meeting_id=c.meeting_id).data)
    for text in (pdf, word):
        assert "Thời gian thảo luận: từ" in text and "không thảo luận tại phiên họp" in text
