"""Vietnamese text hygiene: everything is stored in Unicode NFC (input may arrive decomposed)."""
from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def clean_text(value: str) -> str:
    return nfc(value).strip()


def fold(value: str) -> str:
    """Lower-case, diacritics removed: 'Ngân sách' -> 'ngan sach' (đ -> d too)."""
    decomposed = unicodedata.normalize("NFD", value.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


Text = Annotated[str, AfterValidator(clean_text)]
