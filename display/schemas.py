"""Answers of the display token API (the token itself appears once, in the creation answer)."""

from __future__ import annotations

from pydantic import BaseModel


class DisplayTokenPublic(BaseModel):
    id: int
    meeting_id: int
    created_by: int
    created_at: str
    revoked_at: str | None
    valid_until: str  # the end of the meeting's scheduled day (or of the day it was made, if later)


class DisplayTokenCreated(DisplayTokenPublic):
    token: str
    url: str
