"""Who has a live page open, per meeting (ephemeral, per process; attendance is the durable record)."""
from __future__ import annotations

from collections import defaultdict


class Presence:
    def __init__(self) -> None:
        self._sockets: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(self, meeting_id: int, user_id: int, sid: str) -> bool:
        """True when this is the user's first open page for the meeting."""
        sockets = self._sockets[meeting_id][user_id]
        first = not sockets
        sockets.add(sid)
        return first

    def remove(self, meeting_id: int, user_id: int, sid: str) -> bool:
        """True when the user has no open page left for the meeting."""
        users = self._sockets.get(meeting_id)
        if not users or sid not in users.get(user_id, ()):
            return False
        users[user_id].discard(sid)
        if users[user_id]:
            return False
        del users[user_id]
        if not users:
            del self._sockets[meeting_id]
        return True

    def online(self, meeting_id: int) -> list[int]:
        return sorted(self._sockets.get(meeting_id, {}))
