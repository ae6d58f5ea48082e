"""Demo cabinet: 27 members (chair = Thủ tướng), the secretariat, an admin, a guest, one upcoming meeting.

Idempotent: loading twice keeps existing data (accounts and the meeting are created only when missing).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlmodel import Session, select

from accounts import services as accounts
from accounts.actor import Actor
from accounts.models import GlobalRole, User
from accounts.passwords import hash_password
from accounts.schemas import UserCreate
from meetings import agenda, participation
from meetings import services as meetings
from meetings.models import Meeting, MeetingRole
from meetings.schemas import AgendaItemCreate, MeetingCreate, ParticipantCreate

DEMO_PASSWORD = "demo"
MEETING_TITLE = "Phiên họp Chính phủ thường kỳ tháng 11/2026"

# (full name, title, unit) — fictional people with realistic Vietnamese names and real office titles.
CHAIR = ("Nguyễn Văn Thành", "Thủ tướng Chính phủ", "Chính phủ")
MEMBERS = [
    ("Trần Quốc Hưng", "Phó Thủ tướng Thường trực", "Chính phủ"),
    ("Lê Thị Thu Hằng", "Phó Thủ tướng", "Chính phủ"),
    ("Phạm Minh Đức", "Phó Thủ tướng", "Chính phủ"),
    ("Hoàng Văn Khải", "Phó Thủ tướng", "Chính phủ"),
    ("Vũ Đức Thắng", "Bộ trưởng Bộ Quốc phòng", "Bộ Quốc phòng"),
    ("Đặng Văn Lộc", "Bộ trưởng Bộ Công an", "Bộ Công an"),
    ("Bùi Thanh Sơn", "Bộ trưởng Bộ Ngoại giao", "Bộ Ngoại giao"),
    ("Đỗ Thị Ngọc Ánh", "Bộ trưởng Bộ Tư pháp", "Bộ Tư pháp"),
    ("Ngô Quang Vinh", "Bộ trưởng Bộ Tài chính", "Bộ Tài chính"),
    ("Dương Hữu Nghĩa", "Bộ trưởng Bộ Công Thương", "Bộ Công Thương"),
    ("Lý Văn Toàn", "Bộ trưởng Bộ Nông nghiệp và Môi trường", "Bộ Nông nghiệp và Môi trường"),
    ("Trịnh Xuân Trường", "Bộ trưởng Bộ Xây dựng", "Bộ Xây dựng"),
    ("Phan Thị Mỹ Linh", "Bộ trưởng Bộ Nội vụ", "Bộ Nội vụ"),
    ("Huỳnh Tấn Phát", "Bộ trưởng Bộ Khoa học và Công nghệ", "Bộ Khoa học và Công nghệ"),
    ("Võ Thị Xuân Mai", "Bộ trưởng Bộ Giáo dục và Đào tạo", "Bộ Giáo dục và Đào tạo"),
    ("Đinh Công Tuấn", "Bộ trưởng Bộ Y tế", "Bộ Y tế"),
    ("Tạ Quang Huy", "Bộ trưởng Bộ Văn hóa, Thể thao và Du lịch", "Bộ Văn hóa, Thể thao và Du lịch"),
    ("Mai Văn Chính", "Bộ trưởng Bộ Dân tộc và Tôn giáo", "Bộ Dân tộc và Tôn giáo"),
    ("Lưu Đình Khoa", "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ", "Văn phòng Chính phủ"),
    ("Cao Thị Hồng Nhung", "Tổng Thanh tra Chính phủ", "Thanh tra Chính phủ"),
    ("Hà Minh Quân", "Thống đốc Ngân hàng Nhà nước Việt Nam", "Ngân hàng Nhà nước Việt Nam"),
    ("Tô Văn Bảo", "Bộ trưởng Bộ Kế hoạch và Đầu tư", "Bộ Kế hoạch và Đầu tư"),
    ("Kiều Thị Phương", "Bộ trưởng Bộ Lao động - Thương binh và Xã hội", "Bộ Lao động - Thương binh và Xã hội"),
    ("Lạc Đức Hiếu", "Bộ trưởng Bộ Giao thông vận tải", "Bộ Giao thông vận tải"),
    ("Âu Thị Diệu Thúy", "Bộ trưởng Bộ Thông tin và Truyền thông", "Bộ Thông tin và Truyền thông"),
    ("Quách Văn Ước", "Bộ trưởng Bộ Tài nguyên và Môi trường", "Bộ Tài nguyên và Môi trường"),
]
AGENDA = [
    ("Báo cáo tình hình kinh tế - xã hội tháng 11 và 11 tháng năm 2026", "Bộ Kế hoạch và Đầu tư", 40),
    ("Tình hình thực hiện dự toán ngân sách nhà nước năm 2026", "Bộ Tài chính", 30),
    ("Tình hình giải ngân vốn đầu tư công và các giải pháp thúc đẩy", "Bộ Kế hoạch và Đầu tư", 30),
    ("Dự thảo Nghị định quy định chi tiết Luật Đất đai về bồi thường, hỗ trợ, tái định cư", "Bộ Nông nghiệp và Môi trường", 35),
    ("Đề án chuyển đổi số quốc gia: dịch vụ công trực tuyến toàn trình", "Bộ Khoa học và Công nghệ", 25),
    ("Công tác phòng, chống thiên tai và khắc phục hậu quả bão lũ ở miền Trung", "Bộ Nông nghiệp và Môi trường", 20),
]


def _user(session: Session, username: str, name: str, title: str, unit: str, role: GlobalRole, pw_hash: str) -> User:
    existing = session.exec(select(User).where(User.username == username)).first()
    if existing:
        return existing
    data = UserCreate(username=username, full_name=name, title=title, unit=unit, role=role, password=DEMO_PASSWORD)
    accounts.create_user(session=session, actor=None, data=data, min_length=0, enforce_policy=False, password_hash=pw_hash)
    return session.exec(select(User).where(User.username == username)).one()


def load(*, session: Session) -> dict[str, str]:
    """Returns the demo accounts (username -> description) for printing."""
    accounts_created: dict[str, str] = {}
    pw_hash = hash_password(DEMO_PASSWORD)

    def add(username: str, person: tuple[str, str, str], role: GlobalRole) -> User:
        user = _user(session, username, *person, role, pw_hash)
        accounts_created[username] = f"{user.full_name} — {user.title}"
        return user

    add("admin", ("Quản trị hệ thống", "Quản trị viên", "Văn phòng Chính phủ"), GlobalRole.admin)
    secretariat = add("vanphong", ("Nguyễn Thị Lan Anh", "Vụ trưởng, Thư ký phiên họp", "Văn phòng Chính phủ"), GlobalRole.secretariat)
    chair = add("thutuong", CHAIR, GlobalRole.member)
    members = [add(f"thanhvien{i:02d}", person, GlobalRole.member) for i, person in enumerate(MEMBERS, start=1)]
    guest = add("khachmoi01", ("Trương Công Minh", "Chủ tịch Ủy ban nhân dân tỉnh", "UBND tỉnh Quảng Nam"), GlobalRole.guest)
    session.flush()

    if session.exec(select(Meeting).where(Meeting.title == MEETING_TITLE)).first() is None:
        actor = Actor.of(secretariat)
        created = meetings.create_meeting(
            session=session,
            actor=actor,
            data=MeetingCreate(
                title=MEETING_TITLE,
                kind="regular",
                mode="hybrid",
                place="Phòng họp Chính phủ, Trụ sở Chính phủ, số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội",
                scheduled_at=datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc),  # 08:00 giờ Hà Nội
                description="Phiên họp thường kỳ; tài liệu gửi qua hệ thống, không in giấy.",
            ),
        )
        mid = created["id"]
        for title, presenter, minutes in AGENDA:
            agenda.add_item(
                session=session, actor=actor, meeting_id=mid,
                data=AgendaItemCreate(title=title, presenter=presenter, planned_minutes=minutes),
            )  # fmt: skip
        roster = [(chair, MeetingRole.chair), (secretariat, MeetingRole.secretary)]
        roster += [(m, MeetingRole.member) for m in members] + [(guest, MeetingRole.guest)]
        for user, role in roster:
            assert user.id is not None
            participation.invite(session=session, actor=actor, meeting_id=mid, data=ParticipantCreate(user_id=user.id, role=role))
        meetings.publish_meeting(session=session, actor=actor, meeting_id=mid)
    return accounts_created


SECRETARY = ("Nguyễn Thị Lan Anh", "Vụ trưởng, Thư ký phiên họp")


def ensure_signers(data_dir: Path) -> None:
    """Demo signing certificates for the secretary (vanphong) and the chair (thutuong), password "demo".
    Idempotent and cheap when they exist (minutes/keystore.py); a deployment imports real PKCS#12 files."""
    from minutes.keystore import ensure_demo_signers

    ensure_demo_signers(Path(data_dir) / "keys", [("vanphong", *SECRETARY), ("thutuong", CHAIR[0], CHAIR[1])], DEMO_PASSWORD)
