"""Hypothesis strategies of hostile input: the values the probe used (ids past 2^63, null, control
characters, lone surrogates, numbers as strings, NaN, deep nesting) mixed with arbitrary JSON, aimed at a
model's own field names so that they reach its validators, not only the unknown-field refusal."""

from __future__ import annotations

import math
import tempfile
import unicodedata
from typing import Any

from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps a cache beside the sources (.hypothesis/); the tests write only under the temp directory.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="ecabinet-hypothesis-"))
from pydantic import BaseModel

from core.types import MAX_ID

EDGE_INTS = [0, 1, -1, MAX_ID, MAX_ID + 1, 2**64, -(2**63) - 1, 10**30]
EDGE_VALUES: list[Any] = [
    *EDGE_INTS,
    None,
    True,
    False,
    "",
    " ",
    "1",
    "0x10",
    "1e3",
    "²",
    "true",
    "null",
    1.5,
    -0.0,
    1e308,
    math.nan,
    math.inf,
    "\x00",
    "a\x01b",
    "\x1b[31m",
    "\u202eabc",
    "\ud800",
    "\ufffe",
    "Ha\u0300 Nội",
    "a" * 70_000,
    [],
    {},
    [1, 2],
    {"a": 1},
    "../../etc/passwd",
    "<script>",
    "\r\n",
]

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(EDGE_VALUES),
)
json_values = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def payloads(model: type[BaseModel] | None, max_depth: int = 2000) -> st.SearchStrategy[Any]:
    """Objects with the model's fields set to hostile or arbitrary values, or anything at all.
    (python-socketio's client encoder recurses itself: socket tests pass a smaller max_depth.)"""
    fields = sorted(model.model_fields) if model is not None else []
    nested = st.builds(deep, st.integers(30, max_depth))
    values = st.one_of(st.sampled_from(EDGE_VALUES), json_values, nested)
    aimed = st.dictionaries(st.sampled_from(fields), values, max_size=len(fields)) if fields else st.just({})
    return st.one_of(aimed, aimed, aimed, json_values, nested)


def _secret_fields(model: type[BaseModel]) -> set[str]:
    """The fields typed core.types.Secret (its validator refuses controls and leaves the text as typed)."""
    return {
        name
        for name, info in model.model_fields.items()
        if any(getattr(getattr(m, "func", None), "__name__", "") == "_secret" for m in info.metadata)
    }


def clean(value: Any) -> list[str]:
    """Problems with a validated value: ints the database cannot hold, text XML 1.0 / NFC rules refuse."""
    problems: list[str] = []
    if isinstance(value, BaseModel):
        secrets = _secret_fields(type(value))
        dumped = value.model_dump()
        for name in secrets:  # a password is kept as typed (its hash is of those bytes): only controls are refused
            problems += [p for p in clean(dumped.pop(name, None)) if not p.startswith("text not NFC")]
        value = dumped
    if isinstance(value, bool) or value is None:
        return problems
    if isinstance(value, int) and not -(2**63) <= value <= MAX_ID:
        problems.append(f"int out of range: {value}")
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(f"non-finite float: {value}")
    if isinstance(value, str):
        bad = [
            c
            for c in value
            if (ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF
        ]
        if bad:
            problems.append(f"control/surrogate in text: {value[:40]!r}")
        elif unicodedata.normalize("NFC", value) != value:
            problems.append(f"text not NFC: {value[:40]!r}")
    if isinstance(value, dict):
        for v in value.values():
            problems += clean(v)
    if isinstance(value, (list, tuple)):
        for v in value:
            problems += clean(v)
    return problems
