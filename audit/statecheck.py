"""Does the stored state match the log? The last fact recorded for each user, vote and participant
(audit/facts.py) is compared with the database; each difference is named, in Vietnamese, for the admin."""

from __future__ import annotations

from typing import Any, Iterable

from sqlmodel import Session, col, select

from accounts.models import User
from audit.facts import ROLE_VI, participant_fact, subject, user_fact, vote_fact
from audit import session_facts
from audit.minutes_facts import KINDS, mismatches as minutes_mismatches
from ledger.models import AuditEntry
from meetings.models import Participant
from votes.models import Vote

_VOTE_FIELDS = (
    ("state", "trạng thái"),
    ("kind", "loại biểu quyết"),
    ("rule", "quy tắc"),
    ("result", "kết quả"),
    ("voted_count", "số người đã bỏ phiếu"),
    ("eligible_count", "số người có quyền biểu quyết"),
    ("voters", "danh sách người đã bỏ phiếu"),
    ("counts", "số phiếu theo lựa chọn"),
    ("ballots", "phiếu của từng người"),
)


def last_facts(rows: Iterable[AuditEntry]) -> dict[str, tuple[int, dict[str, Any]]]:
    facts: dict[str, tuple[int, dict[str, Any]]] = {}
    for row in rows:
        if row.type.startswith("state.") and isinstance(row.data, dict):
            facts[subject(row.data)] = (row.id or 0, row.data)
    return facts


def _role(value: Any) -> str:
    return ROLE_VI.get(value, str(value))


def _users(session: Session, facts: dict[str, tuple[int, dict[str, Any]]], seen: set[str]) -> list[str]:
    out = []
    for user in session.exec(select(User).order_by(col(User.id))).all():
        key, now = f"user:{user.id}", user_fact(user, session)
        seen.add(key)
        logged = facts.get(key)
        if logged is None:
            out.append(
                f"tài khoản {user.id} ({user.username}, {_role(now['role'])}) không có trong nhật ký: "
                "được thêm ngoài ứng dụng"
            )
        elif logged[1].get("deleted"):
            out.append(f"tài khoản {user.id} đã bị xóa theo nhật ký nhưng vẫn còn trong cơ sở dữ liệu")
        elif now["role"] != logged[1]["role"]:
            out.append(
                f"tài khoản {user.id} ({user.username}) là {_role(now['role'])} trong cơ sở dữ liệu nhưng nhật ký ghi "
                f"lần cuối là {_role(logged[1]['role'])} (bản ghi #{logged[0]})"
            )
        elif now["active"] != logged[1]["active"] or now["username"] != logged[1]["username"]:
            out.append(
                f"tài khoản {user.id}: tên đăng nhập hoặc trạng thái hoạt động khác với nhật ký (bản ghi #{logged[0]})"
            )
        elif "credential" in logged[1] and now.get("credential") != logged[1]["credential"]:  # older facts: none
            out.append(
                f"tài khoản {user.id} ({user.username}): mật khẩu trong cơ sở dữ liệu không phải mật khẩu nhật ký ghi "
                f"lần cuối (bản ghi #{logged[0]}): đã bị đổi ngoài ứng dụng"
            )
    return out


def _votes(session: Session, facts: dict[str, tuple[int, dict[str, Any]]], seen: set[str]) -> list[str]:
    out = []
    for vote in session.exec(select(Vote).order_by(col(Vote.id))).all():
        key, now = f"vote:{vote.id}", vote_fact(session, vote)
        seen.add(key)
        logged = facts.get(key)
        if logged is None or logged[1].get("deleted"):
            out.append(f"biểu quyết {vote.id} không có trong nhật ký: được thêm ngoài ứng dụng")
            continue
        for field, label in _VOTE_FIELDS:
            if now.get(field) != logged[1].get(field):
                out.append(
                    f"biểu quyết {vote.id}: {label} lưu trong cơ sở dữ liệu khác với nhật ký (bản ghi #{logged[0]})"
                )
    return out


def _participants(session: Session, facts: dict[str, tuple[int, dict[str, Any]]], seen: set[str]) -> list[str]:
    out = []
    for p in session.exec(select(Participant).order_by(col(Participant.meeting_id), col(Participant.user_id))).all():
        key, now = f"participant:{p.meeting_id}:{p.user_id}", participant_fact(p)
        seen.add(key)
        logged = facts.get(key)
        if logged is None or logged[1]["role"] != now["role"]:
            was = _role(logged[1]["role"]) if logged else "không có"
            out.append(
                f"cuộc họp {p.meeting_id}: người dùng {p.user_id} là {_role(now['role'])} trong cơ sở dữ liệu nhưng "
                f"nhật ký ghi {was}"
            )
    return out


def _vanished(facts: dict[str, tuple[int, dict[str, Any]]], seen: set[str]) -> list[str]:
    out = []
    for key, (row_id, fact) in facts.items():
        if key in seen or fact.get("deleted") or fact.get("role", "") is None:
            continue
        kind, _, ident = key.partition(":")
        name = {"user": "tài khoản", "vote": "biểu quyết", "participant": "thành phần cuộc họp", **KINDS}[kind]
        out.append(f"{name} {ident} có trong nhật ký (bản ghi #{row_id}) nhưng đã bị xóa khỏi cơ sở dữ liệu")
    return out


def mismatches(session: Session, rows: Iterable[AuditEntry]) -> list[str]:
    facts, seen = last_facts(rows), set()  # type: ignore[var-annotated]
    out = _users(session, facts, seen) + _votes(session, facts, seen) + _participants(session, facts, seen)
    out += minutes_mismatches(session, facts, seen)
    out += session_facts.mismatches(session, facts, seen)
    return out + _vanished(facts, seen)
