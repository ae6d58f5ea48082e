"""Who follows a meeting's pages: the watermark identities their page requests will carry, so that their marks
are drawn before a page is turned (documents/prewarm.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from accounts.models import User
from core.clock import local
from documents.access import allowed_ids
from documents.models import Document
from documents.services import STAMP
from documents.watermark import Viewer


def marks_ahead(
    *, session: Session, followers: list[tuple[int, int]], timezone: str, moments: list[datetime]
) -> list[Viewer]:
    """The watermark identity the page requests of these (meeting, user) followers will carry at each of
    `moments`: their marks are drawn ahead (documents/prewarm.py). Only for a meeting that has documents, and the
    restricted kind only for who is on a restricted document's list there: who turns no page needs no mark.
    Nothing is read for them here: a page still goes only to who may read it (page_source)."""
    meetings = {mid for mid, _ in followers}
    ordinary: set[int] = set()  # meetings with a document any participant may be shown
    listed: set[tuple[int, int]] = set()  # (meeting, user) on a restricted document's list
    for doc_id, mid, restricted in session.exec(
        select(Document.id, Document.meeting_id, Document.restricted).where(col(Document.meeting_id).in_(meetings))
    ).all():
        if not restricted:
            ordinary.add(mid)
        else:
            listed |= {(mid, uid) for uid in allowed_ids(session, doc_id or 0)}
    kinds: dict[int, set[bool]] = {}
    for mid, uid in followers:
        mine = kinds.setdefault(uid, set())
        if mid in ordinary:
            mine.add(False)
        if (mid, uid) in listed:
            mine.add(True)
    users = session.exec(select(User).where(col(User.id).in_([u for u, k in kinds.items() if k]))).all()
    return [
        Viewer(user_id=u.id or 0, name=u.full_name, unit=u.unit, stamp=local(t, timezone).strftime(STAMP), restricted=r)
        for u in users
        for t in moments
        for r in sorted(kinds[u.id or 0])
    ]
