"""The snippet of a hit: a window of the original text around the matched words, and where they are in it.

Highlights are [start, end) offsets in code points of the snippet, so a client marks them with text nodes
(never HTML). Words are matched on folded text (core.text.fold), as the index matched them.

The work per hit is bounded whatever the page holds (a PDF can repeat one word tens of thousands of times):
only the first MAX_SCAN characters are looked at, and the best window is found in one pass over the matches.
Folding and finding the words run in C (the whole text folded at once, one regular expression for the words), with
core.text.fold_with_index's character-by-character position map only for a text holding a character that does
not fold to exactly one character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from core.text import fold_with_index
from search.query import Terms

WIDTH = 180
BEFORE = 50
MAX_SCAN = 20_000  # characters of a page searched for the window: a dense A4 page holds ~6 000


@lru_cache(maxsize=8192)
def _marks(ch: str) -> str | None:
    """The combining marks fold(ch) drops, or None when ch does not fold to exactly one character (decomposed
    input, Hangul, ...), lower-cases by its context (Σ) or holds a mark that canonical ordering could move."""
    decomposed = unicodedata.normalize("NFD", ch.lower().replace("đ", "d"))
    marks = "".join(m for m in decomposed if unicodedata.category(m) == "Mn")
    kept = [m for m in decomposed if m not in marks]
    if ch == "Σ" or len(kept) != 1 or unicodedata.combining(kept[0]):
        return None
    return marks


def _fold(text: str) -> tuple[str, Sequence[int]]:
    """fold_with_index(text). When every character folds to exactly one, folding the whole text at once (in C)
    gives the same characters, each at its place; otherwise the map is built character by character."""
    dropped: set[str] = set()
    for ch in set(text):
        marks = _marks(ch)
        if marks is None:
            return fold_with_index(text)
        dropped.update(marks)
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    folded = decomposed.encode("ascii", "ignore").decode("ascii")  # all that is left when every letter is Latin
    if len(folded) != len(text):
        folded = re.sub("[" + re.escape("".join(sorted(dropped))) + "]", "", decomposed) if dropped else decomposed
    return folded, range(len(text))


def _hits(folded: str, terms: Terms) -> list[tuple[int, int]]:
    """The spans of the whole words (runs of letters and digits) that are a query word, or begin with the word
    being typed."""
    words = terms.words[:-1] if terms.prefix else terms.words
    arms = [re.escape(w) + r"(?![^\W_])" for w in words]
    if terms.prefix:
        arms.append(re.escape(terms.words[-1]) + r"[^\W_]*")
    return [m.span() for m in re.finditer(r"(?<![^\W_])(?:" + "|".join(arms) + ")", folded)]


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
    folded, index = _fold(text)
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
