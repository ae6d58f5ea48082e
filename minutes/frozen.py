"""What a finalised version holds to: its sections as frozen (shown on the minutes page while it is open), and
the results it must state before it can be frozen at all."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from core.errors import Conflict
from minutes import builder
from minutes.models import MinutesVersion
from votes.models import Vote, VoteState


def frozen_sections(version: MinutesVersion, today: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A finalised version's sections as stored with it; label and flags (generated or edited, editable) as the
    draft of today has them for that key (a version finalised before labels were kept shows today's label)."""
    out = []
    for row in json.loads(version.content):
        key, text = row["key"], row["text"]
        now = today.get(key, {"label": key, "edited": None, "editable": True})
        edited = text if now["edited"] is not None else None
        out.append(
            {
                "key": key,
                "label": row.get("label") or now["label"],
                "generated": text if edited is None else now.get("generated", ""),
                "edited": edited,
                "effective": text,
                "editable": now["editable"],
                "multiline": key not in builder.SINGLE_LINE,
            }
        )
    return out


def require_results(session: Session, meeting_id: int) -> None:
    """Signed minutes state every vote's result: a secret vote still waiting for its key holders' decryption (its
    result would be known only after the signatures) keeps the minutes from being finalised."""
    closed = session.exec(
        select(Vote)
        .where(Vote.meeting_id == meeting_id, col(Vote.state).in_((VoteState.closed, VoteState.published)))
        .order_by(col(Vote.id))
    )
    # (in Python: the JSON column stores a missing result as JSON null, which SQL's IS NULL does not see)
    waiting = next(((v.id, v.question) for v in closed if not v.result), None)
    if waiting is not None:
        raise Conflict(
            "Không thể chốt biên bản: biểu quyết «{question}» chưa có kết quả (phiếu kín chờ người giữ khóa giải mã).",
            question=waiting[1],
            details={"vote_id": waiting[0]},
        )
