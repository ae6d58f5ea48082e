"""Apply a live event to a snapshot, exactly as the browser does (frontend/static/js/live-state.js).

Events carry the slices of the snapshot they change: any top-level key of the snapshot ('meeting',
'agenda', 'participants', 'quorum', and the slices other domains register) found in an event's data
replaces the state's; 'participant' replaces one row. Applying events in seq order gives a fresh snapshot.
"""

from __future__ import annotations

import copy
from typing import Any


def apply_event(state: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(state)
    data = event.get("data") or {}
    for key in state:
        if key in data:
            new[key] = copy.deepcopy(data[key])
    if "participant" in data:
        row = data["participant"]
        new["participants"] = [row if p["user_id"] == row["user_id"] else p for p in new.get("participants", [])]
    return new
