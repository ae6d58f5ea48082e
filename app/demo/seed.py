"""Demo data: the cabinet's accounts and three meetings (one published with papers, one ended with its
minutes drafted, one draft). Idempotent: loading twice keeps existing data (accounts and meetings are
created only when missing)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlmodel import Session, col, select

from accounts import services as accounts
from core.actor import Actor
from core.clock import held_at, utcnow
from accounts.models import GlobalRole, User
from accounts.passwords import hash_password
from accounts.schemas import UserCreate
from app.db import Database
from app.demo.agenda import DRAFT, PAST, UPCOMING, Item
from app.demo.cabinet import ADMIN, CHAIR, GUEST, MEMBERS, OFFICE, SECRETARY, username_of
from meetings import agenda, participation
from meetings import services as meetings
from meetings.models import Attendance, Meeting, MeetingKind, MeetingMode, MeetingRole
from meetings.schemas import AgendaItemCreate, CheckInRequest, MeetingCreate, ParticipantCreate
from minutes import conclusions
from notifications.services import set_address
from votes.ballot import enrolment, trustee_keys
from votes.models import TrusteeKey

DEMO_PASSWORD = "demo"
# The demo key holders' trustee passphrase (secret ballots: their tablet asks for it at the key ceremony and at
# decryption; it is not the sign-in password, docs/ballot-spec.md §7). At least 12 characters, as a tablet requires.
DEMO_TRUSTEE_PASSPHRASE = "kiem-phieu-demo"
KEY_HOLDERS = ("thutuong", "vanphong", "thanhvien01")  # the default key holders of secret votes: chair, secretary,
# first member (votes/ballot/ceremony.py: default_trustees)
DEMO_MAIL_DOMAIN = "ecabinet.demo.gov.vn"  # not a real mailbox: the demo's SMTP server (if any) keeps them
MEETING_TITLE = "Phiên họp Chính phủ thường kỳ tháng 11/2026"
PAST_TITLE = "Phiên họp Chính phủ thường kỳ tháng 10/2026"
PAST_AT = datetime(2026, 11, 4, 1, 0, tzinfo=timezone.utc)  # 08:00, 04/11/2026 in Hà Nội
DRAFT_TITLE = "Phiên họp Chính phủ thường kỳ tháng 12/2026"
MEETING_AT = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)  # 08:00 Hà Nội
MEETING_DESCRIPTION = "Phiên họp thường kỳ; tài liệu gửi qua hệ thống, không in giấy."
PLACE = "Phòng họp Chính phủ, Trụ sở Chính phủ, số 1 Hoàng Hoa Thám, phường Ba Đình, Hà Nội"
PAST_CONCLUSIONS = [
    "Chính phủ thống nhất đánh giá tình hình kinh tế - xã hội tháng 10 tiếp tục chuyển biến tích cực; giao Bộ Tài "
    "chính tiếp thu ý kiến thành viên Chính phủ, hoàn thiện báo cáo.",
    "Chính phủ thông qua dự thảo Nghị định quy định chi tiết Luật Đất đai về giá đất; giao Bộ Nông nghiệp và Môi "
    "trường chủ trì, phối hợp Bộ Tư pháp hoàn thiện, trình Thủ tướng Chính phủ ký ban hành.",
    "Giao Bộ Giáo dục và Đào tạo tổng hợp tình hình tuyển sinh, báo cáo Thủ tướng Chính phủ trong tháng 11.",
]


def _user(session: Session, username: str, person: tuple[str, str, str], role: GlobalRole, pw_hash: str) -> User:
    existing = session.exec(select(User).where(User.username == username)).first()
    if existing:
        return existing
    name, title, unit = person
    data = UserCreate(username=username, full_name=name, title=title, unit=unit, role=role, password=DEMO_PASSWORD)
    accounts.create_user(
        session=session, actor=None, data=data, min_length=0, enforce_policy=False, password_hash=pw_hash
    )
    return session.exec(select(User).where(User.username == username)).one()


def _meeting(
    session: Session,
    actor: Actor,
    title: str,
    when: datetime,
    items: list[Item],
    roster: list[tuple[User, MeetingRole]],
    *,
    publish: bool = True,
    description: str = "",
) -> int | None:
    """Creates the meeting unless one with that title exists (then None)."""
    if session.exec(select(Meeting).where(Meeting.title == title)).first() is not None:
        return None
    made = meetings.create_meeting(
        session=session,
        actor=actor,
        data=MeetingCreate(
            title=title,
            kind=MeetingKind.regular,
            mode=MeetingMode.hybrid,
            place=PLACE,
            scheduled_at=when,
            description=description,
        ),
    )
    mid = made["id"]
    for item in items:
        agenda.add_item(
            session=session,
            actor=actor,
            meeting_id=mid,
            data=AgendaItemCreate(title=item.title, presenter=item.presenter, planned_minutes=item.minutes),
        )
    for user, role in roster:
        assert user.id is not None
        participation.invite(
            session=session, actor=actor, meeting_id=mid, data=ParticipantCreate(user_id=user.id, role=role)
        )
    if publish:
        meetings.publish_meeting(session=session, actor=actor, meeting_id=mid)
    return mid


def _hold(session: Session, secretary: Actor, chair: Actor, members: list[User], mid: int, at: datetime) -> None:
    """The past meeting as it went, on its own day (`at`, core/clock.py held_at): members checked in before it
    began, each item discussed for its planned time and concluded, the meeting ended. Its minutes and any notice
    drafted from it then read that day and those hours, not the moment the demo was loaded."""
    with held_at(at - timedelta(minutes=15)) as advance:
        for user in members[:22]:  # 22 of 26 in the room, with the chair: quorum
            participation.check_in(
                session=session,
                actor=Actor.of(user),
                meeting_id=mid,
                data=CheckInRequest(attendance=Attendance.present_room),
            )
            advance(timedelta(seconds=30))
        advance(at - utcnow())
        meetings.start_meeting(session=session, actor=chair, meeting_id=mid)
        items = sorted(
            agenda.list_agenda(session=session, actor=secretary, meeting_id=mid), key=lambda i: i["position"]
        )
        for n, (item, text) in enumerate(zip(items, PAST_CONCLUSIONS)):
            if n:
                meetings.activate_item(session=session, actor=chair, meeting_id=mid, item_id=item["id"])
            advance(timedelta(minutes=max(1, int(item["planned_minutes"] or 0)) - 2))
            conclusions.save_conclusion(
                session=session, actor=secretary, meeting_id=mid, item_id=item["id"], text=text, base_revision=0
            )
            advance(timedelta(minutes=2))
        meetings.end_meeting(session=session, actor=chair, meeting_id=mid)


def holders_without_key(*, session: Session) -> list[int]:
    """The demo's default key holders (KEY_HOLDERS) who have no trustee key yet (a key they have stays)."""
    users = session.exec(select(User).where(col(User.username).in_(KEY_HOLDERS))).all()
    return [u.id for u in users if u.id is not None and session.get(TrusteeKey, u.id) is None]


def _enrol(*, session: Session, user_id: int, public_key: str, sealed_key: str) -> None:
    user = session.get(User, user_id)
    assert user is not None
    enrolment.enrol_trustee_key(session=session, actor=Actor.of(user), public_key=public_key, sealed_key=sealed_key)


def enrol_trustee_keys(db: Database) -> None:
    """Trustee keys (secret ballots) for the default key holders, in today's form: what a tablet sends (docs/
    ballot-spec.md §7), an X25519 pair sealed with a trustee passphrase (DEMO_TRUSTEE_PASSPHRASE; the server's
    argon2id parameters, the floor it accepts), recorded by the service a tablet's enrolment goes through
    (enrolment.enrol_trustee_key, which checks the form). So the demo's tablets ask the key holders for that
    passphrase and offer no upgrade. The seal is made outside any transaction (argon2id), one write per holder."""
    for user_id in db.run_read(holders_without_key):
        key = X25519PrivateKey.generate()
        secret = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        sealed = trustee_keys.seal_secret(secret, user_id, DEMO_TRUSTEE_PASSPHRASE)
        db.run_write(_enrol, user_id=user_id, public_key=public, sealed_key=sealed)


def load(*, session: Session, full: bool = True, password_hash: str | None = None) -> dict[str, str]:
    """Returns the demo accounts (username -> description) for printing. `full=False`: only the accounts and
    the published meeting, without the past and draft meetings (the browser tests' bare cabinet).
    `password_hash`: the demo password's hash, made before the write (`ecabinet demo`); made here otherwise.
    The key holders' trustee keys come after, outside this transaction (enrol_trustee_keys)."""
    made: dict[str, str] = {}
    pw_hash = password_hash or hash_password(DEMO_PASSWORD)  # one hash for the shared demo password, not 31

    def add(username: str, person: tuple[str, str, str], role: GlobalRole) -> User:
        user = _user(session, username, person, role, pw_hash)
        made[username] = f"{user.full_name} — {user.title}"
        assert user.id is not None  # every demo account reads its notifications by e-mail too (notifications/)
        set_address(session, user_id=user.id, email=f"{username}@{DEMO_MAIL_DOMAIN}")
        return user

    admin = add("admin", ADMIN, GlobalRole.admin)
    secretariat = add("vanphong", SECRETARY, GlobalRole.secretariat)
    chair = add("thutuong", CHAIR, GlobalRole.member)
    members = [add(f"thanhvien{i:02d}", person, GlobalRole.member) for i, person in enumerate(MEMBERS, start=1)]
    guest = add("khachmoi01", GUEST, GlobalRole.guest)
    session.flush()

    staff = Actor.of(secretariat)
    roster = [(chair, MeetingRole.chair), (secretariat, MeetingRole.secretary)]
    roster += [(m, MeetingRole.member) for m in members] + [(guest, MeetingRole.guest)]
    _meeting(session, staff, MEETING_TITLE, MEETING_AT, UPCOMING, roster, description=MEETING_DESCRIPTION)
    if not full:
        return made
    past = _meeting(session, staff, PAST_TITLE, PAST_AT, PAST, roster[:-1])
    if past is not None:
        _hold(session, staff, Actor.of(chair), members, past, PAST_AT)
    _meeting(
        session,
        staff,
        DRAFT_TITLE,
        datetime(2027, 1, 5, 1, 0, tzinfo=timezone.utc),
        DRAFT,
        roster,
        publish=False,
        description="Dự kiến; chương trình đang chuẩn bị.",
    )
    _poll(session, staff, Actor.of(chair))
    _report_signer(session, admin)
    return made


def _report_signer(session: Session, admin: User) -> None:
    """The Government Office's head (Bộ trưởng, Chủ nhiệm) signs the polls' summary reports (polls/signers.py)."""
    from polls import services as polls
    from polls.access import get_rules
    from polls.schemas import RulesIn

    r = get_rules(session)
    if r.report_signer_id is not None:
        return
    head = session.exec(select(User).where(User.username == username_of(OFFICE))).one()
    rules = RulesIn(
        silence_default=r.silence_default.value,
        require_signed_answers=r.require_signed_answers,
        chair_id=r.chair_id,
        deputy_ids=list(r.deputy_ids),
        report_signer_id=head.id,
    )
    polls.set_rules(session=session, actor=Actor.of(admin), data=rules)


POLL_TITLE = "Lấy ý kiến thành viên Chính phủ về dự thảo Nghị định sửa đổi quy định về quản lý đầu tư công"


def _poll(session: Session, staff: Actor, chair: Actor) -> None:
    """An open written poll, due 3 working days from today at 17:00 (once: skipped when it exists)."""
    from datetime import time

    from core.clock import local, utcnow, zone
    from polls import services as polls
    from polls.models import Poll
    from polls.schemas import PollCreate
    from workdays.services import add_working_days

    if session.exec(select(Poll).where(Poll.title == POLL_TITLE)).first() is not None:
        return
    tz = "Asia/Ho_Chi_Minh"
    due = datetime.combine(add_working_days(session, local(utcnow(), tz).date(), 3), time(17, 0), tzinfo=zone(tz))
    data = PollCreate(
        title=POLL_TITLE,
        chair_id=chair.id,
        deadline_at=due,
        silence_counts_as="agree",
        summary="Bộ Kế hoạch và Đầu tư trình dự thảo Nghị định; còn ý kiến khác nhau về phân cấp thẩm quyền "
        "quyết định chủ trương đầu tư và về mức vốn đối ứng của địa phương.",
        questions=[
            {
                "text": "Đồng ý thông qua dự thảo Nghị định như Tờ trình của Bộ Kế hoạch và Đầu tư?",
            },
            {
                "text": (
                    "Đồng ý phân cấp cho Chủ tịch Ủy ban nhân dân cấp tỉnh quyết định chủ trương đầu tư dự án nhóm B?"
                )
            },
        ],
    )
    poll = polls.create_poll(session=session, actor=staff, data=data)
    polls.submit_poll(session=session, actor=staff, poll_id=poll["id"])
    polls.approve_poll(session=session, actor=chair, poll_id=poll["id"], tz=tz)


def ensure_signers(data_dir: Path) -> None:
    """Demo signing certificates for the secretary (vanphong) and the chair (thutuong), password "demo".
    Idempotent and cheap when they exist (ledger/keystore.py); a deployment imports real PKCS#12 files."""
    from ledger.keystore import ensure_demo_signers

    # Three members too, to sign their answers to written polls, and the Government Office's head, its reports.
    head = int(username_of(OFFICE).removeprefix("thanhvien"))
    members = [(f"thanhvien{i:02d}", *MEMBERS[i - 1][:2]) for i in (1, 2, 3, head)]
    ensure_demo_signers(
        Path(data_dir) / "keys", [("vanphong", *SECRETARY[:2]), ("thutuong", *CHAIR[:2]), *members], DEMO_PASSWORD
    )
