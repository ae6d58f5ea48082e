"""Request shapes of the documents API (inputs refuse unknown fields) and the prepared file handed to services."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig  # SQLModel's own config type (a pydantic ConfigDict with `table`)

from core.types import Flag, FormFlag, FormId, FormInt, Id, Int, Line

_strict = SQLModelConfig(extra="forbid")


class DocumentUpload(SQLModel):
    """The multipart form's fields beside `file`."""

    model_config = _strict
    title: Line = Field(min_length=1, max_length=500)
    agenda_item_id: FormId | None = None
    position: FormInt(0, 100_000) | None = None  # type: ignore[valid-type]
    restricted: FormFlag = False
    allowed_user_ids: list[FormId] = Field(default_factory=list, max_length=500)
    share_with_guests: FormFlag = False
    replaces_document_id: FormId | None = None


class DocumentUpdate(SQLModel):
    """PATCH: only the fields sent change; agenda_item_id: null moves the document to the whole meeting."""

    model_config = _strict
    title: Line = Field(default=None, min_length=1, max_length=500)  # type: ignore[assignment]
    position: Int(0, 100_000) = None  # type: ignore[valid-type]
    agenda_item_id: Id | None = None
    restricted: Flag = None  # type: ignore[assignment]
    allowed_user_ids: list[Id] = Field(default=None, max_length=500)  # type: ignore[arg-type]
    share_with_guests: Flag = None  # type: ignore[assignment]


@dataclass(frozen=True)
class StoredFile:
    """A validated PDF already in the content-addressed store, with its text per page."""

    sha256: str
    page_count: int
    size_bytes: int
    source_name: str
    source_kind: str
    texts: list[tuple[int, str, str]] = field(default_factory=list)  # (page, text, folded)
    removed: dict[str, int] = field(default_factory=dict)  # active content taken out (documents/cdr.py): kind -> count
