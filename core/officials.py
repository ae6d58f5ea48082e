"""How the Government's leaders are named in documents (NĐ 30/2020/NĐ-CP): the full title in running text
("Thủ tướng Chính phủ Nguyễn Văn Thành", "Phó Thủ tướng Chính phủ ..."), and the lines above a signature
("THỦ TƯỚNG"; a deputy signs on the Prime Minister's behalf: "KT. THỦ TƯỚNG" / "PHÓ THỦ TƯỚNG")."""

from __future__ import annotations

from core.text import nfc

_GOV = "Chính phủ"


def _clean(title: str) -> str:
    return " ".join(nfc(title or "").split())


def is_prime_minister(title: str) -> bool:
    return _clean(title).lower().startswith("thủ tướng")


def is_deputy_prime_minister(title: str) -> bool:
    return _clean(title).lower().startswith("phó thủ tướng")


def full_title(title: str) -> str:
    """'Thủ tướng' -> 'Thủ tướng Chính phủ', 'Phó Thủ tướng Thường trực' -> 'Phó Thủ tướng Thường trực Chính phủ';
    other titles as they are written ('Bộ trưởng Bộ Tài chính')."""
    t = _clean(title)
    if (is_prime_minister(t) or is_deputy_prime_minister(t)) and _GOV.lower() not in t.lower():
        return f"{t} {_GOV}"
    return t


def named(title: str, name: str) -> str:
    """'Thủ tướng Chính phủ Nguyễn Văn Thành' (title and name, either may be empty)."""
    return " ".join(x for x in (full_title(title), _clean(name)) if x)


def signature_lines(title: str, fallback: str = "NGƯỜI CHỦ TRÌ") -> tuple[str, ...]:
    """The authority and position above a signature on a document issued under the Prime Minister's name:
    the Prime Minister signs 'THỦ TƯỚNG'; a Deputy Prime Minister signs on his behalf ('KT. THỦ TƯỚNG' /
    'PHÓ THỦ TƯỚNG', the standing one too); anyone else with their own title, upper case."""
    if is_prime_minister(title):
        return ("THỦ TƯỚNG",)
    if is_deputy_prime_minister(title):
        return ("KT. THỦ TƯỚNG", "PHÓ THỦ TƯỚNG")
    t = _clean(title)
    return (t.upper() if t else fallback,)
