"""The upcoming meeting's papers, put on the tablets the way the secretariat's upload does: the same
ingest (PDF check and rebuild, page count, page texts for search) and the same documents service."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from core.actor import Actor
from accounts.models import User
from app.db import Database
from app.demo.agenda import papers
from app.demo.papers import nfc, render
from app.demo.seed import MEETING_TITLE
from infra.settings import Settings
from documents import ingest, services, storage
from documents.models import Document
from documents.render import Renderer
from documents.workers import shutdown_pool
from documents.schemas import DocumentUpload
from meetings import agenda
from meetings.models import Meeting


def _plan(session: Session) -> tuple[int, Actor, list[int], dict[str, int]] | None:
    """(meeting id, staff actor, agenda item ids, user ids by name), or None when the papers are already there."""
    meeting = session.exec(select(Meeting).where(Meeting.title == MEETING_TITLE)).first()
    if meeting is None or session.exec(select(Document).where(Document.meeting_id == meeting.id)).first() is not None:
        return None
    assert meeting.id is not None
    staff = Actor.of(session.exec(select(User).where(User.username == "vanphong")).one())
    items = sorted(agenda.list_agenda(session=session, actor=staff, meeting_id=meeting.id), key=lambda i: i["position"])
    users = {u.username: u.id for u in session.exec(select(User)).all() if u.id is not None}
    return meeting.id, staff, [i["id"] for i in items], users


async def _add_all(settings: Settings, db: Database) -> int:
    plan = db.run_read(_plan)
    if plan is None:
        return 0
    meeting_id, staff, item_ids, users = plan
    renderer, rendering = Renderer(settings.data_dir, settings.render_workers), []
    try:
        for n, (index, paper, extra) in enumerate(papers(), start=1):
            number = paper.number.removeprefix("Số:").strip()
            title = nfc(str(extra.get("title") or f"{paper.kind.capitalize()} số {number}: {paper.subject}"))[:500]
            tmp = storage.new_tmp_path(settings.data_dir)
            tmp.write_bytes(render(paper))
            stored, _ = await ingest.prepare(
                upload=tmp,
                filename=f"tai-lieu-{n:02d}.pdf",
                data_dir=settings.data_dir,
                renderer=renderer,
                soffice=settings.soffice,
                max_pages=settings.max_document_pages,
                max_upload_mb=settings.max_upload_mb,
                sandboxed=settings.soffice_sandbox,
            )
            allowed = [users[name] for name in extra.get("allowed", [])]
            data = DocumentUpload(
                title=title,
                agenda_item_id=item_ids[index],
                restricted=bool(extra.get("restricted")),
                allowed_user_ids=allowed,
                share_with_guests=bool(extra.get("share_with_guests")),
            )
            db.run_write(
                services.add_document,
                actor=staff,
                meeting_id=meeting_id,
                data=data,
                stored=stored,
                data_dir=settings.data_dir,
            )
            rendering.append(
                renderer.start_background(
                    storage.blob_path(settings.data_dir, stored.sha256), stored.sha256, stored.page_count
                )
            )
        await asyncio.gather(*rendering)  # pages ready before the first tablet asks (~20 pages, once)
    finally:
        await renderer.aclose()
        shutdown_pool()
    return n


def add_papers(settings: Settings, db: Database) -> int:
    """Adds the papers once (none when the meeting already has documents); returns how many were added."""
    return asyncio.run(_add_all(settings, db))
