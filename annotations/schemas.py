"""Strict shapes of annotations (REST bodies and socket payloads alike).

Geometry is page-relative: x and y in [0, 1] from the top-left corner of the page as rendered. A stroke is
{points: [[x, y, pressure?], ...], width, color}; `width` is a fraction of the page width. Limits keep one
annotation to what a hand draws (a tablet samples 60–120 points a second; the viewer ends a stroke at 2 000
points, and a stroke of a few seconds is ~200). Coordinates keep 4 decimals (0.02 mm on A4) and a pressure 2,
so a point is ~25 bytes, not the ~60 of full float precision. Colours come from fixed palettes so nothing but
a known colour name is ever drawn on a page. Strict mode: "0.5" is not a number, true is not 1.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from core.i18n import N_, Msg
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.types import Id, Para

MAX_POINTS_PER_STROKE = 2000
MAX_STROKES = 50
MAX_POINTS = 5000
MAX_NOTE_CHARS = 2000
DECIMALS = 4  # of a coordinate (a pressure keeps 2): finer than any screen or pen shows
INK_COLOURS = ("#1c2430", "#1f4e8c", "#c62828", "#1e7a3d", "#8e24aa", "#ef6c00")
HIGHLIGHT_COLOURS = ("#ffeb3b", "#80deea", "#f48fb1", "#a5d6a7")
NOTE_COLOURS = ("#ffeb3b", "#80deea", "#f48fb1", "#a5d6a7", "#ffcc80")
Kind = Literal["ink", "highlight", "note"]

_strict = ConfigDict(extra="forbid", strict=True)
Coord = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Point = Annotated[list[Coord], Field(min_length=2, max_length=3)]  # [x, y] or [x, y, pressure]


class Stroke(BaseModel):
    model_config = _strict
    points: list[Point] = Field(min_length=1, max_length=MAX_POINTS_PER_STROKE)
    width: float = Field(ge=0.0005, le=0.08, allow_inf_nan=False)
    color: str = Field(max_length=7)

    @field_validator("points")
    @classmethod
    def _rounded(cls, points: list[list[float]]) -> list[list[float]]:
        return [[round(p[0], DECIMALS), round(p[1], DECIMALS), *(round(v, 2) for v in p[2:])] for p in points]


class InkData(BaseModel):
    """ink and highlight"""

    model_config = _strict
    strokes: list[Stroke] = Field(min_length=1, max_length=MAX_STROKES)

    @field_validator("strokes")
    @classmethod
    def _bounded(cls, strokes: list[Stroke]) -> list[Stroke]:
        if sum(len(s.points) for s in strokes) > MAX_POINTS:
            raise ValueError(f"at most {MAX_POINTS} points in one annotation")
        return strokes


class NoteData(BaseModel):
    """A text note pinned at (x, y)."""

    model_config = _strict
    x: Coord
    y: Coord
    color: str = Field(default=NOTE_COLOURS[0], max_length=7)


def check_content(kind: str, data: InkData | NoteData, text: str) -> None:
    """The kind decides the data's shape and palette; raises ValueError (a 422 with the reason, a Msg)."""
    if kind == "note":
        if not isinstance(data, NoteData):
            raise ValueError(N_("dữ liệu của ghi chú gồm x, y và color"))
        if data.color not in NOTE_COLOURS:
            raise ValueError(Msg("màu ghi chú phải là một trong {colours}", colours=", ".join(NOTE_COLOURS)))
        if not text:
            raise ValueError(N_("ghi chú cần có nội dung"))
        return
    if not isinstance(data, InkData):
        raise ValueError(Msg("dữ liệu của nét {kind} gồm danh sách strokes", kind=kind))
    palette = HIGHLIGHT_COLOURS if kind == "highlight" else INK_COLOURS
    for stroke in data.strokes:
        if stroke.color not in palette:
            raise ValueError(
                Msg("màu của nét {kind} phải là một trong {colours}", kind=kind, colours=", ".join(palette))
            )
    if text:
        raise ValueError(N_("chỉ ghi chú mới có nội dung chữ"))


class AnnotationCreate(BaseModel):
    """POST /api/documents/{id}/annotations. `version` defaults to the current one; `shared` is presenter ink."""

    model_config = _strict
    page: int = Field(ge=1, le=100_000)
    version: Id | None = None
    kind: Kind
    data: InkData | NoteData
    text: Para = Field(default="", max_length=MAX_NOTE_CHARS)
    shared: bool = False

    @model_validator(mode="after")
    def _content(self) -> "AnnotationCreate":
        check_content(self.kind, self.data, self.text)
        if self.shared and self.kind == "note":
            raise ValueError("shared annotations are presenter ink or highlight, not notes")
        return self


class AnnotationUpdate(BaseModel):
    """PATCH /api/annotations/{id}: new geometry and/or text (the kind and page stay)."""

    model_config = _strict
    data: InkData | NoteData = None  # type: ignore[assignment]  # absent: unchanged; null: refused
    text: Para = Field(default=None, max_length=MAX_NOTE_CHARS)  # type: ignore[assignment]


class AnnotationPublic(BaseModel):
    id: int
    document_id: int
    version: int
    page: int
    kind: Kind
    data: dict[Any, Any]
    text: str
    shared: bool
    author_id: int
    created_at: str
    updated_at: str


# --- socket payloads -----------------------------------------------------------------------------------


class SocketCreate(AnnotationCreate):
    document_id: Id


class SocketUpdate(AnnotationUpdate):
    annotation_id: Id


class AnnotationRef(BaseModel):
    model_config = _strict
    annotation_id: Id


class PresenterStart(BaseModel):
    model_config = _strict
    meeting_id: Id
    document_id: Id
    page: int = Field(default=1, ge=1, le=100_000)


class PresenterPage(BaseModel):
    model_config = _strict
    meeting_id: Id
    page: int = Field(ge=1, le=100_000)


class PresenterInk(BaseModel):
    """Shared ink: one finished stroke group on the presented document's page."""

    model_config = _strict
    meeting_id: Id
    page: int = Field(ge=1, le=100_000)
    kind: Literal["ink", "highlight"] = "ink"
    data: InkData

    @model_validator(mode="after")
    def _content(self) -> "PresenterInk":
        check_content(self.kind, self.data, "")
        return self


class PresenterPointer(BaseModel):
    """The laser pointer; x = y = null hides it."""

    model_config = _strict
    meeting_id: Id
    x: Coord | None = None
    y: Coord | None = None
