"""Query and answer shapes of GET /api/search."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.types import FormInt, Plain


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: Plain = Field(default="", max_length=200)  # searched, never printed: any script (core/types.py)
    limit: FormInt(1, 50) = 20  # type: ignore[valid-type]
    offset: FormInt(0, 1000) = 0  # type: ignore[valid-type]


class Ref(BaseModel):
    id: int
    title: str


class MeetingRef(Ref):
    scheduled_at: str | None


class DocumentRef(Ref):
    restricted: bool


class SearchHit(BaseModel):
    kind: Literal["document", "agenda_item", "meeting"]
    meeting: MeetingRef
    agenda_item: Ref | None
    document: DocumentRef | None
    page: int | None
    snippet: str | None = Field(
        description="null for a restricted document: its text is shown only as the watermarked page"
    )
    highlights: list[list[int]] = Field(
        description="[start, end) code-point offsets of the matched words in the snippet"
    )


class SearchResults(BaseModel):
    items: list[SearchHit] = Field(
        description="best first; no score is given (the order depends only on the visible hits' own words); "
        "with more than 1000 visible hits, the 1000 most recently indexed are ranked"
    )
    total: int = Field(description="visible hits, counted up to 1000: those ranked, which the pages walk through")
    more: bool = Field(
        description="true when there are more than 1000 visible hits: older ones are left out (narrow the words)"
    )
