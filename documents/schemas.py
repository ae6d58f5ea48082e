"""Request shapes of the documents API (inputs refuse unknown fields) and the prepared file handed to services."""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ConfigDict, Field
from sqlmodel import SQLModel

from core.text import Text

_strict = ConfigDict(extra="forbid")


class DocumentUpload(SQLModel):
    """The multipart form's fields beside `file`."""

    model_config = _strict
    title: Text = Field(min_length=1, max_length=500)
    agenda_item_id: int | None = Field(default=None, ge=1)
    position: int | None = Field(default=None, ge=0, le=100_000)
    restricted: bool = False
    allowed_user_ids: list[int] = Field(default_factory=list, max_length=500)
    share_with_guests: bool = False
    replaces_document_id: int | None = Field(default=None, ge=1)


class DocumentUpdate(SQLModel):
    """PATCH: only the fields sent change; agenda_item_id: null moves the document to the whole meeting."""

    model_config = _strict
    title: Text | None = Field(default=None, min_length=1, max_length=500)
    position: int | None = Field(default=None, ge=0, le=100_000)
    agenda_item_id: int | None = Field(default=None, ge=1)
    restricted: bool | None = None
    allowed_user_ids: list[int] | None = Field(default=None, max_length=500)
    share_with_guests: bool | None = None


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
