"""Every document service refused for the wrong role and allowed for the right one (OpenSlides-style pairs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from app.db import Database
from core.errors import Forbidden, NotFound
from documents import services
from documents.schemas import DocumentUpdate, DocumentUpload, StoredFile
from tests.factories import Cabinet, make_cabinet

FILE = StoredFile(
    sha256="ab" * 32,
    page_count=2,
    size_bytes=1000,
    source_name="to-trinh.pdf",
    source_kind="pdf",
    texts=[(1, "Ngân sách", "ngan sach"), (2, "Đầu tư công", "dau tu cong")],
)
TZ = "Asia/Ho_Chi_Minh"


def _doc(db: Database, c: Cabinet, **fields: Any) -> int:
    data = DocumentUpload(title="Tờ trình", **fields)
    return db.run_write(
        services.add_document,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=data,
        stored=FILE,
        data_dir=Path("/nonexistent"),
    ).result["id"]


def _restricted(db: Database, c: Cabinet) -> int:
    return _doc(db, c, restricted=True, allowed_user_ids=[c.members[0].id])


Case = tuple[Callable[..., Any], Callable[[Cabinet, Database], dict[str, Any]], str, str]
D = Path("/nonexistent")
CASES: dict[str, Case] = {
    "list_documents": (
        services.list_documents,
        lambda c, db: {"meeting_id": c.meeting_id, "data_dir": D},
        "guest",
        "outsider",
    ),
    "get_document": (
        services.get_document,
        lambda c, db: {"document_id": _doc(db, c), "data_dir": D},
        "member",
        "guest",
    ),
    "get_restricted": (
        services.get_document,
        lambda c, db: {"document_id": _restricted(db, c), "data_dir": D},
        "member",
        "chair",
    ),
    "page_source": (
        services.page_source,
        lambda c, db: {"document_id": _restricted(db, c), "page": 1, "timezone": TZ},
        "secretary",
        "guest",
    ),
    "download_source": (
        services.download_source,
        lambda c, db: {"document_id": _doc(db, c), "timezone": TZ},
        "chair",
        "outsider",
    ),
    "search_text": (
        services.search_text,
        lambda c, db: {"document_id": _restricted(db, c), "q": "ngan sach"},
        "member",
        "chair",
    ),
    "authorize_upload": (services.authorize_upload, lambda c, db: {"meeting_id": c.meeting_id}, "secretary", "chair"),
    "add_document": (
        services.add_document,
        lambda c, db: {
            "meeting_id": c.meeting_id,
            "data": DocumentUpload(title="Báo cáo"),
            "stored": FILE,
            "data_dir": D,
        },
        "staff",
        "member",
    ),
    "update_document": (
        services.update_document,
        lambda c, db: {"document_id": _doc(db, c), "data": DocumentUpdate(title="Mới"), "data_dir": D},
        "secretary",
        "member",
    ),
    "delete_document": (services.delete_document, lambda c, db: {"document_id": _doc(db, c)}, "staff", "chair"),
}


# A document the denied may not read is, to them, a missing one (documents/access.py read_access): off its list,
# not shared with a guest, or in a meeting they are not invited to (download_source's outsider, and the meeting
# itself to list_documents' outsider: meetings/access.py answers it as absent).
ABSENT = {"get_document", "get_restricted", "page_source", "download_source", "search_text", "list_documents"}


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, kwargs, allowed, denied = CASES[name]
    cabinet = make_cabinet(db)
    args = kwargs(cabinet, db)
    with pytest.raises(NotFound if name in ABSENT else Forbidden):
        db.run_write(fn, actor=cabinet.by_name(denied), **args)
    db.run_write(fn, actor=cabinet.by_name(allowed), **args)


def test_restricted_access_list_must_name_participants(db: Database) -> None:
    from core.errors import ValidationFailed

    c = make_cabinet(db)
    with pytest.raises(ValidationFailed, match="không tham dự"):
        _doc(db, c, restricted=True, allowed_user_ids=[c.outsider.id])


def test_search_snippet_maps_back_to_the_original_text(db: Database) -> None:
    c = make_cabinet(db)
    doc = _doc(db, c)
    found = db.run_read(services.search_text, actor=c.members[0], document_id=doc, q="NGAN SACH")
    assert found["matches"] == [{"page": 1, "snippet": "Ngân sách", "match": "Ngân sách"}]
