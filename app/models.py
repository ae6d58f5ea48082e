"""Imports every table so SQLModel.metadata is complete (alembic and the migration test use it)."""
from __future__ import annotations

from sqlmodel import SQLModel

import accounts.models  # noqa: F401
import annotations.models  # noqa: F401
import audit.models  # noqa: F401
import core.outbox  # noqa: F401
import display.models  # noqa: F401
import documents.models  # noqa: F401
import meetings.events  # noqa: F401
import meetings.models  # noqa: F401
import meetings.rules  # noqa: F401
import minutes.models  # noqa: F401
import speakers.models  # noqa: F401
import votes.models  # noqa: F401

metadata = SQLModel.metadata
