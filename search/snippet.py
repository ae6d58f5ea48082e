"""The snippet of a hit: a window of the original text around the matched words, and where they are in it.

Highlights are [start, end) offsets in code points of the snippet, so a client marks them with text nodes
(never HTML). Words are matched on folded text (core.text.fold), as the index matched them.

The work per hit is bounded whatever the page holds (a PDF can repeat one word tens of thousands of times):
only the first MAX_SCAN characters are looked at, and the best window is found in one pass over the matches.
"""

from __future__ import annotations

import re

from core.text import fold_with_index
from search.query import Terms

WIDTH = 180
BEFORE = 50
MAX_SCAN = 20_000  # characters of a page searched for the window: a dense A4 page holds ~6 000
_TOKEN = re.compile(r"[^\W_]+")


def _hits(folded: str, terms: Terms) -> list[tuple[int, int]]:
    exact = set(terms.words[:-1]) if terms.prefix else set(terms.words)
    last = terms.words[-1] if terms.prefix else None
    return [m.span() for m in _TOKEN.finditer(folded) if m.group() in exact or (last and m.group().startswith(last))]


def best_window(spans: list[tuple[int, int]], reach: int) -> int:
    """The index of the span whose window [start, start + reach] holds the most whole spans (the first of equals).

    Spans are in text order (starts and ends never decrease), so the spans a window holds are a run [lo, hi)
    whose two ends only move forward: one pass, not a count per window."""
    best = most = lo = hi = 0
    for i, (start, _) in enumerate(spans):
        while spans[lo][0] < start:
            lo += 1
        hi = max(hi, lo)
        while hi < len(spans) and spans[hi][1] <= start + reach:
            hi += 1
        if hi - lo > most:
            best, most = i, hi - lo
    return best


def _head(text: str) -> tuple[str, bool]:
    """The page's first MAX_SCAN characters, whitespace collapsed, ending with a whole word (half of one could
    match as a prefix); and whether more text follows."""
    raw = text[: 4 * MAX_SCAN]  # enough for MAX_SCAN characters unless the page is mostly blanks
    head = " ".join(raw.split())
    more = len(text) > len(raw) and not text[len(raw) :].isspace()
    if len(head) > MAX_SCAN or more:
        cut = head[: MAX_SCAN + 1]
        space = cut.rfind(" ")
        head, more = (cut[:space] if space > 0 else cut[:MAX_SCAN]), True
    return head, more


def make(text: str, terms: Terms) -> tuple[str, list[list[int]]]:
    text, more = _head(text)
    folded, index = fold_with_index(text)
    spans = [(index[a], index[b - 1] + 1) for a, b in _hits(folded, terms)]
    if not spans:
        return (text[:WIDTH] + ("…" if more or len(text) > WIDTH else "")), []
    best = spans[best_window(spans, WIDTH - BEFORE)]
    lo = max(0, best[0] - BEFORE)
    while 0 < lo < best[0] and not text[lo - 1].isspace():  # start at a word
        lo += 1
    hi = min(len(text), lo + WIDTH)
    lead = "…" if lo else ""
    snippet = lead + text[lo:hi] + ("…" if more or hi < len(text) else "")
    shift = len(lead) - lo
    marks = [[a + shift, b + shift] for a, b in spans if lo <= a and b <= hi]
    return snippet, marks
