"""Payload builders for annotation tests."""

from __future__ import annotations

from typing import Any


def ink(
    page: int = 1, *, color: str = "#c62828", points: list[list[object]] | None = None, **extra: Any
) -> dict[str, Any]:
    pts = points if points is not None else [[0.1, 0.1, 0.5], [0.2, 0.15, 0.6], [0.3, 0.2, 0.7]]
    return {
        "page": page,
        "kind": "ink",
        "data": {"strokes": [{"points": pts, "width": 0.004, "color": color}]},
        **extra,
    }


def highlight(page: int = 1, **extra: Any) -> dict[str, Any]:
    stroke = {"points": [[0.1, 0.5], [0.6, 0.5]], "width": 0.02, "color": "#ffeb3b"}
    return {"page": page, "kind": "highlight", "data": {"strokes": [stroke]}, **extra}


def note(page: int = 1, text: str = "Cần làm rõ nguồn thu", **extra: Any) -> dict[str, Any]:
    return {"page": page, "kind": "note", "data": {"x": 0.7, "y": 0.3, "color": "#80deea"}, "text": text, **extra}
