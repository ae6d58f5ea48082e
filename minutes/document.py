"""The minutes as plain data: what the PDF/DOCX writers lay out. Built from stored events elsewhere; this
module knows nothing of the database, so the same data always gives the same document."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attendee:
    name: str
    title: str = ""
    note: str = ""  # how and when they attended, "có lý do" for an absence (never its reason), whom a deputy stood for


@dataclass(frozen=True)
class Speech:
    name: str
    title: str
    start: str  # "08:15"
    end: str


@dataclass(frozen=True)
class VoteRecord:
    question: str
    kind: str  # "công khai" | "ghi danh" | "kín"
    rule: str
    counts: list[tuple[str, int]]
    passed: bool | None
    named: list[tuple[str, str]] | None = None  # (name, choice) for named votes only
    threshold: str = ""  # what the rule needs, in figures: "tổng số thành viên: 7; số phiếu tán thành cần có: 4"
    not_voted: str = ""  # "2 (Nguyễn Văn A, Trần Thị B)"; secret and open votes: the count only
    board_fingerprint: str = ""  # secret votes: the public board anyone can verify (ecabinet verify-ballot)


@dataclass(frozen=True)
class ItemRecord:
    position: int
    title: str
    presenter: str = ""
    documents: list[str] = field(default_factory=list)
    speeches: list[Speech] = field(default_factory=list)
    votes: list[VoteRecord] = field(default_factory=list)
    conclusion: str = ""
    # The secretariat's text for presenter, documents and speeches; replaces them when set.
    summary_text: str | None = None
    when: str = ""  # when the session discussed it: "từ 08:05 đến 08:40" (its stretches as the current item)


@dataclass(frozen=True)
class Signer:
    role_label: str  # "THƯ KÝ" / "CHỦ TỌA"
    name: str
    title: str = ""


@dataclass(frozen=True)
class MinutesDoc:
    agency: str  # e.g. "CHÍNH PHỦ"
    number: str  # e.g. "Số:      /BB-CP"
    place_date: str  # "Hà Nội, ngày 03 tháng 12 năm 2026"
    subject: str
    started: str  # "08 giờ 00, ngày 03 tháng 12 năm 2026"
    place: str
    chair: Attendee
    secretary: Attendee
    present_room: list[Attendee]
    present_remote: list[Attendee]
    deputies: list[Attendee]
    absent: list[Attendee]
    guests: list[Attendee]
    items: list[ItemRecord]
    ended: str
    signers: tuple[Signer, Signer]
    recipients: list[str] = field(default_factory=lambda: ["Các thành viên Chính phủ;", "Lưu: VT, Thư ký phiên họp."])
    annex: list[str] = field(default_factory=list)  # PHỤ LỤC: shared presenter ink, one line per page
    opening: str = ""  # secretariat's free text before the items
    closing: str = ""  # free text after the items
    # The secretariat's text for the attendance lists; replaces the lists when set.
    attendance_text: str | None = None
    # The figures the session's validity rests on (members, present in room / remote, quorum): not editable.
    figures: list[str] = field(default_factory=list)
