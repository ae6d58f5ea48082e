"""A search hit's snippet costs one bounded pass whatever its page holds: a PDF repeating one word tens of
thousands of times per page made each search take 12–80 s of CPU (a count per window of every other match).

The cost is asserted as work, not time: the Python lines run in the snippet code (search/snippet.py and the
folding in core/text.py) are counted, and a search that needs more than a linear pass is stopped at once."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

from app.db import Database
from core.text import fold_with_index
from search import snippet
from search.query import Terms, parse
from tests.factories import make_cabinet
from tests.search_helpers import add_doc, find

_COUNTED = ("search/snippet.py", "core/text.py")
BUDGET = 400_000  # lines: one pass over a page's first 20 000 characters is ~200 000; the old count was ~10^9


class OverBudget(Exception):
    pass


@contextmanager
def counted_work(budget: int = BUDGET) -> Iterator[list[int]]:
    """Lines run in the snippet code inside the block; past `budget` the code is stopped with OverBudget."""
    lines = [0]

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            lines[0] += 1
            if lines[0] > budget:
                raise OverBudget(f"more than {budget} lines of snippet code")
        return local

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.endswith(_COUNTED) else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield lines
    finally:
        sys.settrace(previous)


def test_a_page_repeating_the_word_30000_times_gets_its_snippet_in_one_pass(db: Database) -> None:
    c = make_cabinet(db)
    doc = add_doc(db, c, [" ".join(["zq"] * 30_000), "Không có từ đó."], title="Tờ trình lặp")
    with counted_work() as lines:
        found = find(db, c.members[0], "zq", limit=50)
    assert 0 < lines[0] <= BUDGET
    (hit,) = found["items"]
    assert (hit["document"]["id"], hit["page"]) == (doc, 1)
    marked = [hit["snippet"][a:b] for a, b in hit["highlights"]]
    assert hit["snippet"].startswith("zq zq") and hit["snippet"].endswith("…")
    assert marked == ["zq"] * 60  # every whole word in the 180-character window, and nothing else


@pytest.mark.parametrize("hits", [0, 1, 200_000])
def test_a_page_of_megabytes_costs_no_more_than_a_normal_one(hits: int) -> None:
    words = ["ngân", "sách"] * 300_000
    for i in range(hits):
        words[2 * i + 1] = "zq"
    text = " ".join(words)  # 3.3 MB
    with counted_work() as lines:
        shown, marks = snippet.make(text, parse("zq"))
    assert 0 < lines[0] <= BUDGET
    assert shown.startswith("ngân ") and shown.endswith("…") and len(shown) <= snippet.WIDTH + 2
    assert [shown[a:b] for a, b in marks] == ["zq"] * len(marks) and bool(marks) == bool(hits)


def _old_make(text: str, terms: Terms) -> tuple[str, list[list[int]]]:
    """The snippet as it was before the bounds (quadratic): the reference for pages of ordinary size."""
    text = " ".join(text.split())
    folded, index = fold_with_index(text)
    spans = [(index[a], index[b - 1] + 1) for a, b in snippet._hits(folded, terms)]
    if not spans:
        return (text[: snippet.WIDTH] + ("…" if len(text) > snippet.WIDTH else "")), []
    reach = snippet.WIDTH - snippet.BEFORE
    best = max(spans, key=lambda s: sum(1 for o in spans if s[0] <= o[0] and o[1] <= s[0] + reach))
    lo = max(0, best[0] - snippet.BEFORE)
    while 0 < lo < best[0] and not text[lo - 1].isspace():
        lo += 1
    hi = min(len(text), lo + snippet.WIDTH)
    lead = "…" if lo else ""
    shift = len(lead) - lo
    marks = [[a + shift, b + shift] for a, b in spans if lo <= a and b <= hi]
    return lead + text[lo:hi] + ("…" if hi < len(text) else ""), marks


def test_snippets_of_ordinary_pages_are_the_same_as_before() -> None:
    rng = random.Random(7)
    vocabulary = ["Đất", "đai", "ĐẤT", "đất,", "thu", "hồi", "ngân", "sách", "Luật", "(sửa", "đổi)", "İstanbul", "\n"]
    queries = ["đất đai", "dat", "thu hoi ", "ngan sach luat", "da", "istanbul", "i"]
    for _ in range(300):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 400)))
        for q in queries:
            assert snippet.make(text, parse(q)) == _old_make(text, parse(q)), (text, q)


def test_folding_a_whole_page_at_once_gives_the_characters_and_places_of_folding_each_one() -> None:
    """snippet._fold folds the text in C when every character folds to exactly one; a text holding anything else
    (a lone combining mark of decomposed input, Hangul, a final sigma, a ligature) takes the map built character by
    character. Either way: the same as core.text.fold_with_index."""
    letters = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    alphabet = letters + letters.upper() + " \n\t.,;:!?()“”–…0123456789"
    odd = ["\u0301", "\u0323", "한", "Σ", "ΑΣ", "ﬁ", "İ", "ǅ", "\U0001d165", "e\u0302\u0301", "ß", "\u00a0"]
    rng = random.Random(11)
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        if rng.random() < 0.3:
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice(odd) + text[at:]
        folded, index = snippet._fold(text)
        assert (folded, list(index)) == fold_with_index(text), text
