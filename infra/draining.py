"""`ecabinet serve` under SIGTERM: drain, then stop.

The first SIGTERM marks the node draining (/healthz answers 503, so the load balancer stops sending it new
requests and sockets within its health-check interval) and waits ECABINET_DRAIN_SECONDS; then uvicorn stops
as usual: it stops accepting, lets in-flight requests finish (a write that was answered is committed), and
closes every websocket with 1012 "service restart", on which the socket.io clients reconnect, through the
load balancer, to another node and resync (meeting:sync). Remote media is not ended: its sessions get the
usual grace (realtime/rtc.py) to resume. A second SIGTERM, or SIGINT, stops without waiting."""

from __future__ import annotations

import asyncio
import logging
import signal
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("ecabinet.cluster")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, ctx: Any) -> None:
        super().__init__(config)
        self.ctx = ctx
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        cluster = self.ctx.cluster
        wait = self.ctx.settings.drain_seconds
        if sig != signal.SIGTERM or cluster.draining or wait <= 0 or self._loop is None:
            super().handle_exit(sig, frame)
            return
        cluster.draining = True
        log.info("SIGTERM: node %s draining for %s s, then stopping", cluster.node_id, wait)
        loop = self._loop
        assert loop is not None  # set in run()
        loop.call_soon_threadsafe(lambda: loop.call_later(wait, super(DrainingServer, self).handle_exit, sig, frame))
