"""Domain errors: a stable machine code, an HTTP status and a Vietnamese message for users.

They are raised by services and turned into HTTP responses / socket acks only at the edge.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The object is not in a state that allows the operation."""

    code = "invalid_state"
    status = 409


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, details: Any = None, retry_after: int | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after  # seconds; HTTP answers carry it as Retry-After


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class BadRequest(DomainError):
    """The body cannot be read at all (malformed JSON, NaN, a form that does not parse)."""

    code = "bad_request"
    status = 400


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
