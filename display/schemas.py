"""Answers of the display token API (the token itself appears once, in the creation answer)."""

from __future__ import annotations

from pydantic import BaseModel


class DisplayTokenPublic(BaseModel):
    id: int
    meeting_id: int
    created_by: int
    created_at: str
    revoked_at: str | None


class DisplayTokenCreated(DisplayTokenPublic):
    token: str
    url: str
