"""docs/realtime-protocol.md names exactly the socket events the server accepts (SocketActions.accepted, as
registered by the real app) and sends (realtime.actions.SERVER_EVENTS, which every emit in the code uses)."""

from __future__ import annotations

import re
from pathlib import Path

from app.db import Database
from app.factory import create_app
from infra.settings import Settings
from realtime.actions import SERVER_EVENTS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "realtime-protocol.md").read_text(encoding="utf-8")
NAME = r"`([a-z][a-z_]*(?::[a-z_]+)?)`"
NODE_SIGNALS = {"access"}  # between server nodes, to a room no socket enters (realtime/broadcast.py)


def _section(title: str) -> str:
    return DOC.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def documented_client_events() -> set[str]:
    rows = [
        line for line in _section("Client → server (each answers with an ack)").splitlines() if line.startswith("| `")
    ]
    return {name for row in rows for name in re.findall(NAME, row.split("|")[1])}


def documented_server_events() -> set[str]:
    """Each bullet opens with the event it is about: "- `name` {payload} ..."."""
    bullets = _section("Server → client").splitlines()
    return {m.group(1) for line in bullets if (m := re.match("- " + NAME, line))}


def emitted_in_code() -> set[str]:
    found: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests", "bench", "migrations"}:
            continue
        # one line per call: the formatter puts a long call's arguments on lines of their own
        text = re.sub(r"\s*\n\s*", " ", path.read_text(encoding="utf-8"))
        found |= set(re.findall(r"\b(?:emit|to_user)\([^\"\n]{0,60}?\"([a-z][a-z_:]*)\"", text))
    return found


def test_the_doc_lists_every_client_event_the_server_accepts_and_no_other(settings: Settings, db: Database) -> None:
    app = create_app(settings)
    accepted = set(app.state.actions.accepted)
    assert accepted == set(app.state.sio.handlers["/"]) - {"connect", "disconnect"}  # nothing bypasses the registry
    documented = documented_client_events()
    assert accepted - documented == set(), "accepted by the server, missing in docs/realtime-protocol.md"
    assert documented - accepted == set(), "in docs/realtime-protocol.md, not accepted by the server"


def test_the_doc_lists_every_server_event_and_the_code_sends_no_other() -> None:
    documented = documented_server_events()
    assert SERVER_EVENTS - documented == set(), "sent by the server, missing in docs/realtime-protocol.md"
    assert documented - SERVER_EVENTS == set(), "in docs/realtime-protocol.md, not sent by the server"
    emitted = emitted_in_code() - NODE_SIGNALS
    assert {"event", "presence", "pointer", "rtc:muted", "poll"} <= emitted  # the scan finds them
    assert emitted - SERVER_EVENTS == set(), "emitted in the code but not in realtime.actions.SERVER_EVENTS"


def test_the_check_would_fail_on_a_wrong_doc() -> None:
    assert "vote:cast" in documented_client_events() and "rtc:mute_participant" in documented_client_events()
    assert "rtc:publish" in documented_server_events() and "notices" in documented_server_events()
