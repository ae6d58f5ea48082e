"""The full-text index follows meetings, agenda items and documents inside their writers' transactions.

Installed by app/db.py's Database (like the audit hooks), so every writer of the database keeps the index: the
server, the CLI, the demo loader and the tests' factories alike.
"""

from __future__ import annotations

from sqlmodel import Session

from documents import hooks as document_hooks
from meetings import hooks as meeting_hooks
from meetings.access import Access
from search import index


def _removed(session: Session, _acc: Access, document_id: int) -> None:
    index.drop_document(session, document_id)


def install() -> None:
    meeting_hooks.on_text_changed("search", index.index_meeting)
    document_hooks.on_document_saved("search", index.index_document)
    document_hooks.on_document_removed("search", _removed)
