"""How a document change is told to the room, so that a document one may not read stays unheard of.

- A change to a document every member may read, before or after it (not restricted on at least one side), is a
  meeting event `document.added|updated|removed` {document_id, version, change} with the "documents" slice: to
  the members only, unless guests may read it on one side (meetings/events.py audiences). Those who may not
  read it after the change could read it before, or the other way round: it was theirs to know.
- A change to a document that is restricted before and after (a restricted upload, its new version, details,
  list or removal) is no meeting event at all: no seq moves, so whoever is off its list receives nothing, not
  even a placeholder. It is an outbox job (kind documents.live) delivered after COMMIT as server -> client
  event `documents` {meeting_id, document_id} to each user who may read the document as read at delivery
  (documents/access.py readers: its list, those who manage the meeting), on their own room user:<id>, and
  {meeting_id} to those who could read it before the change and still see the meeting (taken off its list, or
  it was removed): their lists drop it. Clients refetch GET /api/meetings/{id}/documents. The change is still
  linked into the audit log (ledger/chain.py), by its ids only.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core import outbox
from documents import serialize
from documents.access import readers, viewers
from documents.models import Document
from ledger.chain import append as audit_append
from meetings.access import Access
from meetings.events import MEMBERS
from meetings.services import emit

KIND = "documents.live"
_SUMMARY = {"added": "thêm", "updated": "cập nhật", "removed": "xóa"}


class Before:
    """What a document was before a change (None: it did not exist)."""

    def __init__(self, session: Session, doc: Document | None) -> None:
        self.exists = doc is not None
        self.restricted = bool(doc and doc.restricted)
        self.shared = bool(doc and doc.share_with_guests)
        # who could read it, when only a list could (told of its change below)
        self.readers = readers(session, doc) if doc is not None and doc.restricted else set()


def announce(session: Session, acc: Access, doc: Document, verb: str, *, change: str, before: Before) -> None:
    """After the write, in its transaction (the job and the event commit with it)."""
    gone = verb == "removed"
    open_before = before.exists and not before.restricted
    open_after = not gone and not doc.restricted
    if not open_before and not open_after:
        data = {"document_id": doc.id, "version": doc.current_version, "change": change}
        summary = f"Tài liệu hạn chế {doc.id}: {_SUMMARY.get(verb, verb)}"
        audit_append(
            session,
            type=f"document.{verb}",
            data=data,
            actor_id=acc.actor.id,
            meeting_id=acc.meeting_id,
            summary=summary,
            stored=True,
        )
        payload = {"meeting_id": acc.meeting_id, "before": sorted(before.readers)}
        outbox.add(session, kind=KIND, ref=doc.id or 0, payload=payload)
        return
    for_guests = (open_before and before.shared) or (open_after and doc.share_with_guests)
    emit(
        session,
        acc,
        f"document.{verb}",
        audience=None if for_guests else MEMBERS,
        document_id=doc.id,
        version=doc.current_version,
        change=change,
        documents=serialize.documents_slice(session, acc.meeting),
    )


def install(dispatcher: Any) -> None:
    dispatcher.register(KIND, deliver)


async def deliver(ctx: Any, ref: str, jobs: list[dict[str, Any]]) -> None:
    document_id = int(ref)
    meeting_id = int(jobs[-1]["meeting_id"])
    before = {int(u) for j in jobs for u in j.get("before", [])}
    now, former = await ctx.read(_audience, meeting_id=meeting_id, document_id=document_id, before=before)
    for uid in sorted(now):
        await ctx.to_user(uid, "documents", {"meeting_id": meeting_id, "document_id": document_id})
    for uid in sorted(former - now):
        await ctx.to_user(uid, "documents", {"meeting_id": meeting_id})


def _audience(*, session: Session, meeting_id: int, document_id: int, before: set[int]) -> tuple[set[int], set[int]]:
    """(who may read the document now, who of `before` still sees the meeting), as the database says now."""
    doc = session.get(Document, document_id)
    now = readers(session, doc) if doc is not None and doc.meeting_id == meeting_id else set()
    return now, before & viewers(session, meeting_id) if before else set()
