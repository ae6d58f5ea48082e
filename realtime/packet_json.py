"""The JSON socket.io packets are written in (realtime/server.py passes it to python-socketio): text as UTF-8,
not `\\uXXXX` escapes. Vietnamese escaped takes about 1.6 times the bytes (an agenda change: 4.8 KB against
3.1 KB) and about twice the time to parse on every tablet (and in the bench's clients, whose parse is what a
fan-out's last receiver waits for). A text that cannot be written as UTF-8 (a lone surrogate: core/types.py
refuses it at input, but it must never break a delivery) is written escaped, as before.

Packets are read strictly (core/strict_json.py): one with a key given twice does not decode, and a
packet that does not decode is the client's protocol error (realtime/guarded.py)."""

from __future__ import annotations

import json
from typing import Any

from core.strict_json import loads_keys

loads = loads_keys  # python-socketio reads `json.loads`


def dumps(obj: Any, **kwargs: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(obj, **kwargs)
    return text
