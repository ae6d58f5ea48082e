"""Bench-only server launcher: the real app (create_app), with the knobs the benchmark compares.

    python bench/_server.py --port 8123 --broadcast stock|queue|fast --loop asyncio|uvloop --http h11|httptools \
        --ws websockets-sansio|wsproto|websockets [--deflate]

Demo data must already be loaded (`python -m app.cli demo --no-serve` with the same ECABINET_DATA_DIR);
bench/fanout.py does that. The product itself is started with `python -m app.cli demo|serve` (the
'product' variant in fanout.py); this file only exists so one run can put stock and tuned side by side.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--broadcast", choices=["stock", "queue", "fast"], default="fast")
    p.add_argument("--loop", default="auto")
    p.add_argument("--http", default="auto")
    p.add_argument("--ws", default="websockets-sansio")
    p.add_argument("--deflate", action="store_true")
    a = p.parse_args()

    import uvicorn

    from app.factory import create_app
    from infra.settings import Settings
    from realtime.broadcast import Broadcaster

    settings = Settings.from_env().with_(demo_mode=True, host="127.0.0.1", port=a.port, gc_freeze=True)
    app = create_app(settings)
    broadcaster = Broadcaster(app.state.sio, app.state.rooms, fast=a.broadcast != "stock", wire=a.broadcast == "fast")
    app.state.ctx.publish = broadcaster.publish
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=a.port,
        log_level="warning",
        loop=a.loop,
        http=a.http,
        ws=a.ws,
        ws_per_message_deflate=a.deflate,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
