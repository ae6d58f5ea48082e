"""User input → a full-text query that can only ever mean "these plain words".

The input is folded (core.text.fold: NFC-insensitive, lower case, no diacritics, đ → d) and cut into runs of
letters and digits; everything else (quotes, *, :, ^, parentheses, -, control characters) only separates
words, and words like AND, OR, NOT, NEAR are just words. Each word is then quoted for SQLite's FTS4 ("dat" "dai*")
or written as a tsquery lexeme ('dat' & 'dai':*), which is safe because a word holds no quote or operator.
The last word matches as a prefix while it is being typed (no trailing space), once it has MIN_PREFIX (3)
characters; a shorter last word matches only as a whole word. A one- or two-letter prefix is the broadest, costliest
match there is ("th" reads every word beginning so on every page, hidden ones included: search/pace.py), and the
answer to it helps nobody typing; "đất đa" finds "đa" and "đã", "đất đai" and "dat dai" find "đai".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import ValidationFailed
from core.text import fold

MAX_WORDS = 12
MIN_PREFIX = 3  # characters of the last word before it also matches longer words
MAX_WORD = 40  # characters of one word that count (a longer word is cut: no word in Vietnamese is that long)
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Terms:
    words: tuple[str, ...]
    prefix: bool  # the last word also matches longer words

    def fts4(self) -> str:
        """FTS4 marks a prefix inside the quotes ("dai*"); after them ("dai"*) its star is ignored."""
        quoted = [f"{w}*" if self.prefix and i == len(self.words) - 1 else w for i, w in enumerate(self.words)]
        return " ".join(f'"{w}"' for w in quoted)

    def tsquery(self) -> str:
        lexemes = [f"'{w}'" for w in self.words]
        if self.prefix:
            lexemes[-1] += ":*"
        return " & ".join(lexemes)


def parse(q: str) -> Terms:
    words = [w[:MAX_WORD] for w in _WORD.findall(fold(q))][:MAX_WORDS]
    if not words:
        raise ValidationFailed(
            "Hãy nhập từ cần tìm (chữ hoặc số).", details=[{"field": "query.q", "message": "trống", "type": "missing"}]
        )
    typing = not q[-1:].isspace() and len(words[-1]) >= MIN_PREFIX and len(_WORD.findall(fold(q))) <= MAX_WORDS
    return Terms(tuple(words), typing)
