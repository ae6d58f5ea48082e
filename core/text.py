"""Vietnamese text hygiene: everything is stored in Unicode NFC (input may arrive decomposed)."""
from __future__ import annotations

import unicodedata

from core.types import Para


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Lower-case, diacritics removed: 'Ngân sách' -> 'ngan sach' (đ -> d too)."""
    decomposed = unicodedata.normalize("NFD", value.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


# Input text: NFC, stripped, refusing control characters (core/types.py; Line for one-line fields).
Text = Para
