"""How the Government's leaders are named in documents (NĐ 30/2020/NĐ-CP): the full title in running text
("Thủ tướng Chính phủ Nguyễn Văn Thành", "Phó Thủ tướng Chính phủ ..."), and the lines above a signature
("THỦ TƯỚNG"; a deputy signs on the Prime Minister's behalf: "KT. THỦ TƯỚNG" / "PHÓ THỦ TƯỚNG").

The Government Office (Văn phòng Chính phủ) signs its own documents (its reports, "Số: NN/BC-VPCP"): its head,
the Minister, Chairman, signs "BỘ TRƯỞNG, CHỦ NHIỆM"; a Vice Chairman signs on his behalf, "KT. BỘ TRƯỞNG, CHỦ
NHIỆM" / "PHÓ CHỦ NHIỆM" (NĐ 30/2020/NĐ-CP, Phụ lục I: "KT." = ký thay the head of the agency)."""

from __future__ import annotations

from core.text import nfc

_GOV = "Chính phủ"
OFFICE = "Văn phòng Chính phủ"
OFFICE_HEAD_LINE = "BỘ TRƯỞNG, CHỦ NHIỆM"  # the head of the Government Office: a Minister, its Chairman
OFFICE_DEPUTY_LINE = "PHÓ CHỦ NHIỆM"
# The Office's own positions, written without the agency's name ("Phó Chủ nhiệm Thường trực"): the agency is
# added in running text.
_OFFICE_POSITIONS = ("bộ trưởng, chủ nhiệm", "chủ nhiệm", "phó chủ nhiệm")


def _clean(title: str) -> str:
    return " ".join(nfc(title or "").split())


def is_prime_minister(title: str) -> bool:
    return _clean(title).lower().startswith("thủ tướng")


def is_deputy_prime_minister(title: str) -> bool:
    return _clean(title).lower().startswith("phó thủ tướng")


def full_title(title: str) -> str:
    """'Thủ tướng' -> 'Thủ tướng Chính phủ', 'Phó Thủ tướng Thường trực' -> 'Phó Thủ tướng Thường trực Chính phủ';
    'Bộ trưởng, Chủ nhiệm' -> 'Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ', 'Phó Chủ nhiệm' -> 'Phó Chủ nhiệm Văn
    phòng Chính phủ'; other titles as they are written ('Bộ trưởng Bộ Tài chính')."""
    t = _clean(title)
    if (is_prime_minister(t) or is_deputy_prime_minister(t)) and _GOV.lower() not in t.lower():
        return f"{t} {_GOV}"
    if _office_position(t) and OFFICE.lower() not in t.lower():
        return f"{t} {OFFICE}"
    return t


def _office_position(title: str) -> bool:
    """A position of the Government Office written without an agency: 'Phó Chủ nhiệm', 'Phó Chủ nhiệm Thường
    trực', 'Bộ trưởng, Chủ nhiệm' (not 'Chủ nhiệm Ủy ban ...', which names its own agency)."""
    t = _clean(title).lower()
    return any(t == p or t.startswith(p + " thường trực") for p in _OFFICE_POSITIONS)


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


def office_signature_lines(*, on_behalf: bool) -> tuple[str, ...]:
    """The lines above a signature on a document of the Government Office (a report 'BC-VPCP'): its head signs in
    his own name, 'BỘ TRƯỞNG, CHỦ NHIỆM'; a Vice Chairman designated to sign on his behalf (the standing one too)
    signs 'KT. BỘ TRƯỞNG, CHỦ NHIỆM' / 'PHÓ CHỦ NHIỆM'. Who signs as what is the designation (polls' rules), not
    the title typed on the account."""
    if not on_behalf:
        return (OFFICE_HEAD_LINE,)
    return (f"KT. {OFFICE_HEAD_LINE}", OFFICE_DEPUTY_LINE)
