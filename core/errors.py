"""Domain errors: a stable machine code, an HTTP status and a message for users.

They are raised by services and turned into HTTP responses / socket acks only at the edge, in the user's
language: the message is a catalogue key, its Vietnamese text with {placeholders} filled from keyword
parameters (raise Conflict("Cuộc họp “{title}” chưa có nội dung họp.", title=meeting.title)); locale/*/messages.po
holds the translations. `make i18n-check` lists the messages not in the catalogue yet. A message names things by
their human names, never by a database id; a refusal of what the caller may not see (NotFound, NotInvited) names
nothing at all.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from core.i18n import DEFAULT_LANG, Msg, localize


class DomainError(Exception):
    code = "error"
    status = 400
    hidden_on_pages = False  # a page answers 404 "not found" whatever the status (web/pages.py refused)

    def __init__(self, message: str, /, *, details: Any = None, **params: Any) -> None:
        if isinstance(message, Msg):  # a message written apart (N_) or re-raised: keep its key and parameters
            text = Msg(message.key, **{**message.params, **params}) if params else message
        else:
            text = Msg(message, **params)
        super().__init__(text)
        self.message = text  # reads as Vietnamese; .key / .params for the edge
        self.details = _plain(details)

    def __reduce__(self) -> Any:
        """Pickled as it is, whatever a subclass's __init__ takes (an error raised in a worker process comes back
        to the server whole: its class, message with key and parameters, details and other attributes)."""
        return (_restore, (type(self), self.args), self.__dict__)

    def to_dict(self, lang: str = DEFAULT_LANG) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": localize(self.message, lang)}
        if self.details is not None:
            body["details"] = localize(self.details, lang)
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
    hidden_on_pages = True


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

    def __init__(self, message: str, /, *, details: Any = None, retry_after: int | None = None, **params: Any) -> None:
        super().__init__(message, details=details, **params)
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


def _plain(value: Any) -> Any:
    """Details as clients read them: an enum member as its value ("draft"), never its Python name or repr
    ("VoteState.draft"), wherever it sits in the details."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _restore(cls: type[DomainError], args: tuple[Any, ...]) -> DomainError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    return error  # its attributes follow (pickle sets __dict__)
