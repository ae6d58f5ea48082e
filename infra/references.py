"""What still points at a row: every table whose foreign key names it, read from the models' metadata, so a delete can
refuse with a 409 that says why instead of failing on the constraint (a 500), and a table added later with a
foreign key to it is covered without anyone remembering to add it here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select
from sqlmodel import Session, SQLModel


def referencing(session: Session, table: str, key: Any, *, column: str = "id") -> list[str]:
    """The names of the tables holding at least one row whose foreign key points at `table`.`column` == key, in the
    metadata's order (each checked with one indexed EXISTS-like query)."""
    found: list[str] = []
    for other in SQLModel.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table.name != table or fk.column.name != column:
                continue
            hit = session.execute(select(literal(1)).select_from(other).where(fk.parent == key).limit(1)).first()
            if hit is not None and other.name not in found:
                found.append(other.name)
    return found
