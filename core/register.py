"""A register of numbers (sổ đăng ký): one series per year, each number given once.

Shared by the minutes (minutes/register.py, …/BB-CP), the conclusion notices (notices/issuing.py, …/TB-TTg) and the
written polls' reports (polls/numbering.py, …/BC-VPCP). The year is that of the moment the number is given, and a
document is dated that same moment, so its date line's year is always its series' year.

The table has a unique (year, number): two nodes taking the same next number at once collide on the insert, and the
loser takes the one after (in a SAVEPOINT, so its transaction goes on)."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.errors import DomainError

Row = TypeVar("Row")


def next_number(session: Session, table: Any, year: int, make: Callable[[int], Row], busy: DomainError) -> Row:
    """`make(n)` for the next free number `n` of `year` in `table` (a model with `year` and `number`), flushed;
    `busy` when 20 tries in a row collided."""
    for _ in range(20):
        last = session.exec(select(func.max(table.number)).where(table.year == year)).one()
        row = make((last or 0) + 1)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            continue
    raise busy
