"""Vietnamese text hygiene: everything is stored in Unicode NFC (input may arrive decomposed)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from core.types import Para


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Lower-case, diacritics removed: 'Ngân sách' -> 'ngan sach' (đ -> d too)."""
    decomposed = unicodedata.normalize("NFD", value.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return fold(ch)


def fold_with_index(text: str) -> tuple[str, list[int]]:
    """fold(text), and for each folded character the position of the character of `text` it came from (each
    character's folding remembered: a page repeats a few dozen)."""
    folded: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char(ch)
        folded.append(f)
        index.extend([i] * len(f))
    return "".join(folded), index


def short(text: str, limit: int = 60) -> str:
    """`text` on one line, cut at a word before `limit` characters with "…": how a message names a vote's
    question or a document's title to a person (never its database id)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"


# Input text: NFC, stripped, refusing control characters (core/types.py; Line for one-line fields).
Text = Para

# Look-alike text (core/scripts.py): the skeleton two texts are compared by where a reader must tell them apart.
from core.scripts import mixed_script_word as mixed_script_word, skeleton as skeleton
