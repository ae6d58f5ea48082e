"""State facts of the minutes: each version (its state, signatures, and a SHA-256 of the text frozen with it) and
each stored file (a SHA-256 of its bytes), so that the verifier tells a signed PDF swapped or altered in the
database, or a frozen text rewritten, from what the application stored (audit/facts.py records, audit/statecheck.py
compares). The files are written once; a fact is recorded when one is stored and when a version changes."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from audit import adoption
from core.clock import iso
from minutes.models import MinutesFile, MinutesVersion

TRACKED: dict[type, tuple[str, ...]] = {
    MinutesVersion: ("state", "content", "secretary_signed_at", "chair_signed_at", "superseded_at"),
    MinutesFile: ("sha256", "data"),
}
KINDS = {"minutes_version": "phiên bản biên bản", "minutes_file": "tệp biên bản"}


def _v(value: Any) -> Any:
    return getattr(value, "value", value)


def version_fact(v: MinutesVersion) -> dict[str, Any]:
    return {
        "minutes_version_id": v.id,
        "meeting_id": v.meeting_id,
        "version": v.version,
        "state": _v(v.state),
        "content_sha256": hashlib.sha256(v.content.encode()).hexdigest(),
        "secretary_signed_at": iso(v.secretary_signed_at),
        "chair_signed_at": iso(v.chair_signed_at),
        "superseded_at": iso(v.superseded_at),
    }


def file_fact(f: MinutesFile) -> dict[str, Any]:
    return {
        "minutes_file_id": f.id,
        "version_id": f.version_id,
        "step": f.step,
        "sha256": hashlib.sha256(f.data).hexdigest(),
    }


def fact_of(obj: Any, *, deleted: bool) -> tuple[str, dict[str, Any]]:
    if isinstance(obj, MinutesFile):
        return "state.minutes_file", {"minutes_file_id": obj.id, "deleted": True} if deleted else file_fact(obj)
    return "state.minutes_version", {"minutes_version_id": obj.id, "deleted": True} if deleted else version_fact(obj)


def subject(fact: dict[str, Any]) -> str | None:
    for kind in KINDS:
        if f"{kind}_id" in fact:
            return f"{kind}:{fact[f'{kind}_id']}"
    return None


def summary(type_: str, fact: dict[str, Any]) -> str:
    if type_ == "state.minutes_file":
        return f"Tệp biên bản {fact['minutes_file_id']}" + (
            ": đã xóa" if fact.get("deleted") else f" ({fact['step']}), SHA-256 {fact['sha256'][:16]}…"
        )
    return f"Biên bản phiên bản {fact.get('version', '')} (#{fact['minutes_version_id']})" + (
        ": đã xóa" if fact.get("deleted") else f": {fact['state']}"
    )


def found(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """The minutes as found when the log is anchored (audit/facts.py adopt_all)."""
    out = [
        ("state.minutes_version", version_fact(v))
        for v in session.exec(select(MinutesVersion).order_by(col(MinutesVersion.id)))
    ]
    out += [
        ("state.minutes_file", file_fact(f)) for f in session.exec(select(MinutesFile).order_by(col(MinutesFile.id)))
    ]
    return out


def mismatches(session: Session, facts: dict[str, tuple[int, dict[str, Any]]], seen: set[str]) -> list[str]:
    out = []
    for v in session.exec(select(MinutesVersion).order_by(col(MinutesVersion.id))):
        key, now = f"minutes_version:{v.id}", version_fact(v)
        seen.add(key)
        logged = facts.get(key)
        if logged is None or logged[1].get("deleted"):
            out.append(f"biên bản phiên bản {v.version} của cuộc họp {v.meeting_id} không có trong nhật ký")
        elif now != logged[1]:
            what = [k for k in now if now[k] != logged[1].get(k)]
            out.append(
                f"biên bản phiên bản {v.version} của cuộc họp {v.meeting_id}: "
                + ("nội dung đã chốt" if "content_sha256" in what else "trạng thái hoặc chữ ký")
                + f" khác với nhật ký (bản ghi #{logged[0]})"
            )
    for f in session.exec(select(MinutesFile).order_by(col(MinutesFile.id))):
        key, now = f"minutes_file:{f.id}", file_fact(f)
        seen.add(key)
        logged = facts.get(key)
        if logged is None or logged[1].get("deleted"):
            out.append(f"tệp biên bản {f.id} ({f.step}) không có trong nhật ký: được thêm ngoài ứng dụng")
        elif now["sha256"] != logged[1]["sha256"] or f.sha256 != now["sha256"]:
            out.append(
                f"tệp biên bản {f.id} ({f.step}, phiên bản #{f.version_id}): nội dung khác với tệp nhật ký ghi "
                f"(bản ghi #{logged[0]}): đã bị thay hoặc sửa ngoài ứng dụng"
            )
    return out


ADOPTED = "audit.adopted"  # a log anchored before the minutes had facts takes them once, at the next start


def adopt_if_new(*, session: Session) -> int:
    """A deployment upgraded from before the minutes were logged: their state as found is adopted into the log
    (as adopt_all does at the first anchor), once. A log that records no state yet adopts all of it, minutes
    included, when it does (adopt_all)."""
    return adoption.adopt_once(
        session,
        kinds=("state.minutes_version", "state.minutes_file"),
        found=found,
        summary_of=lambda type_, fact: f"{summary(type_, fact)} (tiếp nhận khi nâng cấp)",
        marker=ADOPTED,
        marker_data={"kinds": ["minutes"]},
        marker_summary="Tiếp nhận trạng thái biên bản",
    )
