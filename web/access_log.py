"""uvicorn's access log never keeps a secret from an address: a hall display opens /display/{id}?token=… (the
token is its only credential, valid until revoked), so the value of every `token` query parameter is replaced by
"***" before the line is written, wherever the log goes."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"([?&](?:token|display_token)=)[^&#\s]*", re.IGNORECASE)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "token=" in args[2].lower():
            record.args = (*args[:2], _SECRET.sub(r"\1***", args[2]), *args[3:])
        return True


def install() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
