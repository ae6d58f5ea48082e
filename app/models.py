"""Imports every table so SQLModel.metadata is complete (alembic and the migration test use it)."""

from __future__ import annotations

from sqlmodel import SQLModel

import accounts.models  # noqa: F401
from annotations import models as annotation_models  # noqa: F401
import ledger.models  # noqa: F401
import core.outbox  # noqa: F401
import meetings.display_tokens
import documents.models  # noqa: F401
import meetings.events
import meetings.models
import meetings.rules  # noqa: F401
import minutes.models  # noqa: F401
from minutes import replaced as minutes_replaced  # noqa: F401
import notices.models  # noqa: F401
import notifications.models  # noqa: F401
import polls.models  # noqa: F401
import speakers.models  # noqa: F401
import search.models  # noqa: F401
import votes.models  # noqa: F401
import workdays.models  # noqa: F401
from search.models import is_index_object

metadata = SQLModel.metadata


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """What alembic compares: all but the full-text index objects the search migration makes per dialect."""
    return not (type_ == "table" and is_index_object(name))
