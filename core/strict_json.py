"""JSON as the server reads it from clients (HTTP bodies, socket.io packets): one meaning per document.

Python's parser keeps the last of two equal keys and takes NaN/Infinity; a proxy, firewall or audit tool in
front may read the first key, or refuse the constant, and then the server acts on something other than what
was inspected. A duplicate key (at any depth) raises ValueError, which each edge turns into its own refusal
(400, a socket protocol error); so do NaN / Infinity in an HTTP body (a socket event's validation refuses them)."""

from __future__ import annotations

import json
from typing import Any


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads, refusing duplicate keys and NaN / Infinity (ValueError)."""
    return json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant, **kwargs)


def loads_keys(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads refusing duplicate keys only: socket.io packets, whose NaN the event's validation refuses with
    an answer (the caller's call fails; its connection stays)."""
    return json.loads(text, object_pairs_hook=_unique, **kwargs)
