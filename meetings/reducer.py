"""Apply a live event to a snapshot, exactly as the browser does (frontend/static/js/live-state.js).

Events carry the slices of the snapshot they change ('meeting', 'agenda', 'participants', 'quorum', or a
single 'participant'), so a client that applies them in seq order ends with a fresh snapshot's state.
"""
from __future__ import annotations

import copy
from typing import Any

SLICES = ("meeting", "agenda", "participants", "quorum")


def apply_event(state: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(state)
    data = event.get("data") or {}
    for key in SLICES:
        if key in data:
            new[key] = copy.deepcopy(data[key])
    if "participant" in data:
        row = data["participant"]
        new["participants"] = [row if p["user_id"] == row["user_id"] else p for p in new.get("participants", [])]
    return new
