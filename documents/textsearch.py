"""Search inside one document (GET /api/documents/{id}/text): bounded work per query, one query per user at a time.

The pages' text and its folded form (core.text.fold) are stored at upload (DocumentPage). A query scans the
matching pages in page order, a batch at a time, and stops as soon as it holds `limit` matches: a short term
found on every page of a 1 000-page document costs the first few dozen pages, not the whole file (`more` says
that the answer was cut). A page's folded text is used as stored: where it is as long as the text (every
character folds to one, as Vietnamese in NFC does), a match's place in the text is its place in the folded text;
otherwise the page is folded again once, character by character (with each character's folding remembered).

`SearchGate`: a newer search by the same user supersedes the older one, which stops at its next page and answers
409 `superseded`; so one user keeps at most one search running, however many they send at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

from sqlmodel import Session, col, select

from core.errors import Conflict, ValidationFailed
from core.text import fold, fold_with_index
from documents.models import Document, DocumentPage, DocumentVersion

LIMIT = 200  # matches in one answer
PER_PAGE = 5  # matches of one page
BATCH = 16  # pages read from the database at a time
AROUND = 60  # characters of context each side of a match


class Superseded(Conflict):
    code = "superseded"


@dataclass
class Stats:
    """Pages whose text a search looked at, since the process started (tests: the work is bounded)."""

    pages_scanned: int = 0


STATS = Stats()


def search(
    session: Session,
    document: Document,
    v: DocumentVersion,
    q: str,
    *,
    limit: int = LIMIT,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Diacritics-insensitive search ("ngan sach" finds "ngân sách"): {matches: [{page, snippet, match}], more}
    in page order, at most `limit` (a restricted document: the pages only, snippet and match null)."""
    needle = " ".join(fold(q).split())
    if len(needle) < 2:
        raise ValidationFailed("Hãy nhập ít nhất 2 ký tự để tìm trong tài liệu.")
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    where = (DocumentPage.version_id == v.id, col(DocumentPage.folded).like(pattern, escape="\\"))
    answer: dict[str, Any] = {"document_id": document.id, "version": v.version, "q": q}
    if document.restricted:  # its text leaves the server only as watermarked page images: pages, no snippets
        pages = session.exec(
            select(DocumentPage.page).where(*where).order_by(col(DocumentPage.page)).limit(limit + 1)
        ).all()
        hits = [{"page": p, "snippet": None, "match": None} for p in pages[:limit]]
        return {**answer, "restricted": True, "matches": hits, "more": len(pages) > limit}
    matches: list[dict[str, Any]] = []
    more = False
    last = 0  # the last page looked at
    while True:
        if len(matches) >= limit:  # full: is there any further page with a match? (one row, no text read)
            further = session.exec(select(DocumentPage.page).where(*where, col(DocumentPage.page) > last).limit(1))
            more = more or further.first() is not None
            break
        rows = session.exec(
            select(DocumentPage.page, DocumentPage.text, DocumentPage.folded)
            .where(*where, col(DocumentPage.page) > last)
            .order_by(col(DocumentPage.page))
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for page, text, folded in rows:
            if len(matches) >= limit:
                break
            if cancelled is not None and cancelled():
                raise Superseded("Đã có lần tìm mới hơn trong tài liệu; lần tìm này dừng lại.")
            STATS.pages_scanned += 1
            room = min(PER_PAGE, limit - len(matches))
            found = snippets(text, folded, needle, room + 1)  # one more than room: whether the page holds more
            matches.extend({"page": page, "snippet": s, "match": m} for s, m in found[:room])
            more = len(found) > room and room < PER_PAGE  # cut by the limit, not by PER_PAGE
            last = page
    return {**answer, "matches": matches, "more": more}


def snippets(text: str, folded: str, needle: str, most: int) -> list[tuple[str, str]]:
    """Up to `most` (snippet, match) of `needle` in the page, in order."""
    index: list[int] | None = None
    hay = folded
    if len(folded) != len(text):  # a character that folds to none or to several: map places one by one
        hay, index = fold_with_index(text)
    out: list[tuple[str, str]] = []
    start = hay.find(needle)
    while start >= 0 and len(out) < most:
        end = start + len(needle)
        a, b = (index[start], index[end - 1] + 1) if index is not None else (start, end)
        if index is None and fold(text[a:b]) != needle:  # the same length by chance: places differ
            return snippets(text, folded + "\0", needle, most)
        lo, hi = max(0, a - AROUND), min(len(text), b + AROUND)
        out.append((("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else ""), text[a:b]))
        start = hay.find(needle, end)
    return out


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    latest: int = 0
    users: int = 0
    running: threading.Event | None = None  # set: the running search stops at its next page


class SearchGate:
    """At most one in-document search per user at a time; the newest one wins."""

    def __init__(self) -> None:
        self.slots: dict[int, _Slot] = {}

    @contextlib.asynccontextmanager
    async def turn(self, user_id: int) -> AsyncIterator[Callable[[], bool]]:
        """Wait for the user's running search to stop (it is told to), then run: yields `cancelled` for the
        search to check. Superseded at once when a still newer search comes meanwhile."""
        slot = self.slots.setdefault(user_id, _Slot())
        slot.latest += 1
        mine = slot.latest
        slot.users += 1
        if slot.running is not None:
            slot.running.set()
        try:
            async with slot.lock:
                if slot.latest != mine:
                    raise Superseded("Đã có lần tìm mới hơn trong tài liệu; lần tìm này dừng lại.")
                stop = slot.running = threading.Event()
                try:
                    yield stop.is_set
                finally:
                    slot.running = None
        finally:
            slot.users -= 1
            if slot.users == 0:
                self.slots.pop(user_id, None)
