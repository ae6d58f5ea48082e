"""How a unit (User.unit: the ministry or agency an account acts for) is spelled, in one place.

A unit is printed on official documents (a conclusion notice's tasks, signed; the minutes' attendance), so its
spelling must never depend on the order rows happen to be read in:
- `unit_key`: how two spellings of one unit compare: no case, no diacritics, single spaces ("bo tai CHINH" and
  "Bộ Tài chính" are one unit).
- A spelling is the text of a record, NFC with single spaces (`tidy`).
- The canonical spelling of a unit (`canonical_units`): the spelling the most users of the unit (active accounts
  that are not guests: notices/access.py) have on their records; a tie goes to the spelling of the earliest of
  those accounts (smallest id). A unit only guests or locked accounts name (no user) takes the same rule over
  those accounts. The rule reads counts and ids only: the same records give the same spelling in any order.
- A new account (`check_new_unit`, from accounts/namesakes.py check_new_account: the administrator's request,
  `ecabinet createuser`, the demo loader) whose unit is another spelling of a unit already on record is refused
  (409 `unit_spelling`) naming the canonical spelling: an account's unit is printed as typed, so it is retyped by
  the administrator, never rewritten behind their back. No path changes an account's unit afterwards (the
  administrator's PATCH has no unit field).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from accounts.models import GlobalRole, User
from core.errors import Conflict
from core.i18n import N_
from core.text import fold


class UnitSpelling(Conflict):
    """The unit is already on record under another spelling: details name it (`existing`)."""

    code = "unit_spelling"


def tidy(name: str) -> str:
    """A spelling as compared exactly: NFC, single spaces, stripped (what core/types.py Name stores)."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def unit_key(name: str) -> str:
    """How two spellings of a unit compare: no case, no diacritics, single spaces."""
    return fold(tidy(name))


@dataclass(frozen=True)
class Unit:
    canonical: str  # the rule above
    spellings: frozenset[str]  # every spelling on record (tidy)

    def spell(self, typed: str) -> str:
        """What was typed when it is one of the spellings on record, else the canonical one."""
        text = tidy(typed)
        return text if text in self.spellings else self.canonical


def canonical_units(rows: Iterable[tuple[int, str, bool]]) -> dict[str, Unit]:
    """(account id, unit, is a user of the unit) -> each unit by unit_key. Ranked by: users with the spelling (most
    first), the earliest such user, accounts with it, the earliest such account; ids are unique, so never a tie."""
    stats: dict[str, dict[str, list[float]]] = {}
    for uid, unit, counts in rows:
        text = tidy(unit)
        if not text:
            continue
        s = stats.setdefault(unit_key(text), {}).setdefault(text, [0, float("inf"), 0, float("inf")])
        if counts:
            s[0], s[1] = s[0] + 1, min(s[1], uid)
        s[2], s[3] = s[2] + 1, min(s[3], uid)
    return {
        key: Unit(min(by, key=lambda t: (-by[t][0], by[t][1], -by[t][2], by[t][3])), frozenset(by))
        for key, by in stats.items()
    }


def recorded_units(session: Session) -> dict[str, Unit]:
    """Every unit named on an account's record, whoever the account (guests and locked accounts too)."""
    q = select(User.id, User.unit, User.is_active, User.role).where(User.unit != "").order_by(col(User.id))
    return canonical_units(
        (uid, unit, bool(active) and role != GlobalRole.guest)
        for uid, unit, active, role in session.exec(q).all()
        if uid is not None
    )


def check_new_unit(session: Session, unit: str) -> None:
    """A new account's unit: a unit never named before, or the canonical spelling of one already on record."""
    typed = tidy(unit)
    known = recorded_units(session).get(unit_key(typed)) if typed else None
    if known is not None and typed != known.canonical:
        raise UnitSpelling(
            "Cơ quan “{unit}” đã có trong hồ sơ người dùng với cách viết “{existing}”; hãy ghi đúng “{existing}”.",
            unit=typed,
            existing=known.canonical,
            details=[
                {
                    "field": "unit",
                    "message": N_("đã có với cách viết khác"),
                    "type": "unit_spelling",
                    "existing": known.canonical,
                }
            ],
        )
