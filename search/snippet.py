"""The snippet of a hit: a window of the original text around the matched words, and where they are in it.

Highlights are [start, end) offsets in code points of the snippet, so a client marks them with text nodes
(never HTML). Words are matched on folded text (core.text.fold), as the index matched them.
"""

from __future__ import annotations

import re

from core.text import fold_with_index
from search.query import Terms

WIDTH = 180
BEFORE = 50
_TOKEN = re.compile(r"[^\W_]+")


def _hits(folded: str, terms: Terms) -> list[tuple[int, int]]:
    exact = set(terms.words[:-1]) if terms.prefix else set(terms.words)
    last = terms.words[-1] if terms.prefix else None
    return [m.span() for m in _TOKEN.finditer(folded) if m.group() in exact or (last and m.group().startswith(last))]


def make(text: str, terms: Terms) -> tuple[str, list[list[int]]]:
    text = " ".join(text.split())
    folded, index = fold_with_index(text)
    spans = [(index[a], index[b - 1] + 1) for a, b in _hits(folded, terms)]
    if not spans:
        return (text[:WIDTH] + ("…" if len(text) > WIDTH else "")), []
    best = max(spans, key=lambda s: sum(1 for o in spans if s[0] <= o[0] and o[1] <= s[0] + WIDTH - BEFORE))
    lo = max(0, best[0] - BEFORE)
    while 0 < lo < best[0] and not text[lo - 1].isspace():  # start at a word
        lo += 1
    hi = min(len(text), lo + WIDTH)
    lead = "…" if lo else ""
    snippet = lead + text[lo:hi] + ("…" if hi < len(text) else "")
    shift = len(lead) - lo
    marks = [[a + shift, b + shift] for a, b in spans if lo <= a and b <= hi]
    return snippet, marks
