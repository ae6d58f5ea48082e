"""State facts of login sessions: every session made through the application (a login) is logged, as an HMAC of
its key under the audit key (the log never holds what a database thief could use), with its user and expiry. The
verifier names a session in the database that the log never recorded (inserted with SQL: a way in without a
password), or whose user or expiry was changed. A session that ended (logout, expiry, a password change) and left
the database is nobody's way in: not reported."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlmodel import Session, col, select

from accounts.models import AuthSession
from audit import adoption
from core.clock import as_utc, iso, utcnow
from ledger.chain import KEYS, keys_of

TRACKED: dict[type, tuple[str, ...]] = {AuthSession: ("user_id", "expires_at")}
KIND = "auth_session"
ADOPTED = "audit.adopted.sessions"


def _mac(session: Session, token_hash: str) -> str:
    key = keys_of(session).mac_key()
    return hmac.new(key, b"ecabinet-audit-session\0" + token_hash.encode(), hashlib.sha256).hexdigest()


def session_fact(session: Session, row: AuthSession) -> dict[str, Any]:
    return {"auth_session": _mac(session, row.token_hash), "user_id": row.user_id, "expires_at": iso(row.expires_at)}


def fact_of(session: Session, row: AuthSession, *, deleted: bool) -> tuple[str, dict[str, Any]]:
    if deleted:
        return "state.auth_session", {"auth_session": _mac(session, row.token_hash), "deleted": True}
    return "state.auth_session", session_fact(session, row)


def subject(fact: dict[str, Any]) -> str | None:
    return f"{KIND}:{fact[KIND]}" if KIND in fact else None


def summary(fact: dict[str, Any]) -> str:
    if fact.get("deleted"):
        return "Phiên đăng nhập kết thúc"
    return f"Phiên đăng nhập của người dùng {fact['user_id']}"


def mismatches(session: Session, facts: dict[str, tuple[int, dict[str, Any]]], seen: set[str]) -> list[str]:
    out: list[str] = []
    for key in [k for k in facts if k.startswith(f"{KIND}:")]:
        seen.add(key)  # an ended session gone from the database is no finding
    if KEYS not in session.info:
        return out
    now = utcnow()
    for row in session.exec(select(AuthSession).order_by(col(AuthSession.created_at))):
        fact = session_fact(session, row)
        logged = facts.get(f"{KIND}:{fact[KIND]}")
        expires = as_utc(row.expires_at)
        alive = expires is not None and expires > now
        if logged is None or logged[1].get("deleted"):
            if alive:
                out.append(
                    f"phiên đăng nhập của người dùng {row.user_id} (hết hạn {iso(row.expires_at)}) không có trong "
                    "nhật ký: được thêm ngoài ứng dụng (đăng nhập không qua mật khẩu)"
                )
        elif logged[1]["user_id"] != row.user_id or logged[1]["expires_at"] != fact["expires_at"]:
            out.append(
                f"phiên đăng nhập của người dùng {row.user_id}: người dùng hoặc thời hạn khác với nhật ký "
                f"(bản ghi #{logged[0]})"
            )
    return out


def found(session: Session) -> adoption.Found:
    """The sessions as found, oldest first, when an upgraded log adopts them (adopt_if_new)."""
    rows = session.exec(select(AuthSession).order_by(col(AuthSession.created_at)))
    return [("state.auth_session", session_fact(session, row)) for row in rows]


def adopt_if_new(*, session: Session) -> int:
    """A log from before sessions were logged adopts the sessions found, once (audit/minutes_facts.py likewise)."""
    return adoption.adopt_once(
        session,
        kinds=("state.auth_session",),
        found=found,
        summary_of=lambda _type, fact: summary(fact),
        marker=ADOPTED,
        marker_data={"kinds": ["sessions"]},
        marker_summary="Tiếp nhận phiên đăng nhập",
    )
