"""create_app(settings): the one place that builds the engine, the socket server and the ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, AsyncIterator, Awaitable

import socketio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from accounts import passwords
from app import domains, pages
from infra import gctune
from web import i18n_routes, openapi
from web.nobody import refuse_bodies
from infra.cluster import Cluster
from core.i18n import load_all as load_catalogues
from infra.context import AppContext
from app.db import Database
from infra.outbox import Dispatcher, Takeover
from web.http import guard_paths, ok, on_client_gone, on_domain_error, on_http_error, on_unexpected
from infra.paths import STATIC_DIR
from infra.ratelimit import failure_budget
from web import access_log
from web.hosts import HostCheck, warn_insecure_cookies
from web.security_headers import SecurityHeaders
from infra.settings import Settings
from ledger.keys import AuditKeys
from documents import watermark
from documents.render import SIZES
from documents.page_cache import PageCache, PageCacheLoop
from documents.prewarm import Prewarm
from documents.routes import close_renderer
from core.errors import DomainError
from realtime.broadcast import Broadcaster
from realtime.repair import EventRepair
from realtime.media.channel import MediaWorkers
from realtime.media.config import MediaConfig
from realtime.rtc import RemoteMedia
from realtime.rtc_relay import RtcRelay
from realtime.server import build_server
from realtime.wire import WireTap


async def healthz(request: Request) -> Response:
    """Whether a load balancer (deploy/haproxy.cfg) should send this node work. 503 when it is draining (SIGTERM)
    or cannot reach its database: {"status": "draining"|"unavailable", "node", "database"?}. Redis alone does
    not take a node out: without it the node still serves, and delivers meeting events from the database
    (realtime/repair.py); a Redis outage would otherwise take every node out at once. It answers 200
    {"status": "degraded", "node", "redis": <error>} then (logged too), for operators and monitoring to see."""
    ctx: AppContext = request.app.state.ctx
    problems: dict[str, str] = {}
    try:
        await ctx.read(lambda session: session.connection().exec_driver_sql("SELECT 1").scalar())
    except Exception as exc:  # an unreachable database is an answer here, not an error
        problems["database"] = type(exc).__name__
    node = ctx.cluster.node_id
    if problems:
        return JSONResponse({"status": "unavailable", "node": node, **problems}, status_code=503)
    if ctx.cluster.draining:
        return JSONResponse({"status": "draining", "node": node}, status_code=503)
    if (redis := await ctx.cluster.ping()) is not None:
        ctx.cluster.lost(ConnectionError(redis))  # logged once per outage, not at every check
        return JSONResponse({"status": "degraded", "node": node, "redis": redis})
    return ok({"status": "ok"})


log = logging.getLogger("ecabinet.app")


async def _timed(step: str, stopping: Awaitable[None], limit: float) -> None:
    """One step of the shutdown; a slow one is logged by name, so a node that takes long to stop says why,
    and one still running after `limit` seconds is left behind (cancelled, not awaited): a connection stuck
    in a library must not keep the node from stopping (the process exits after the last step)."""
    started = time.monotonic()
    task = asyncio.ensure_future(stopping)
    if not (await asyncio.wait({task}, timeout=limit))[0]:
        task.cancel()
        log.error("shutdown: stopping %s did not finish within %.1f s; going on without it", step, limit)
        return
    if task.cancelled():  # the step cancelled itself (a task it awaited was cancelled): it is over all the same
        log.warning("shutdown: stopping %s ended cancelled", step)
    elif (failed := task.exception()) is not None:
        log.error("shutdown: stopping %s failed", step, exc_info=failed)
    elif (took := time.monotonic() - started) > 1.0:
        log.warning("shutdown: stopping %s took %.1f s", step, took)


async def _disconnect_all(sio: Any) -> None:
    for sid in list(sio.manager.get_participants("/", None)):
        with contextlib.suppress(Exception):
            await sio.disconnect(sid[0])


def create_app(settings: Settings | None = None) -> Any:
    settings = settings or Settings.from_env()
    load_catalogues()  # a broken catalogue stops the start, not a page
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url, audit=AuditKeys.from_settings(settings).ensure())
    ctx = AppContext(
        settings=settings,
        db=db,
        login_limiter=failure_budget(settings.login_window_seconds, settings.redis_url, settings.redis_channel),
        cluster=Cluster(settings),
    )
    jobs = Dispatcher(ctx)  # the outbox: after-commit work recorded by the services (core/outbox.py)
    domains.install(ctx, jobs)
    ctx.background.append(Takeover(jobs))  # jobs another node left behind (or whose retries ran out) run here
    # The rendered pages' disk budget (ECABINET_PAGE_CACHE_MB): least recently used evicted by a thread.
    ctx.background.append(PageCacheLoop(PageCache(settings.data_dir, settings.page_cache_mb << 20)))
    passwords.warm_up()
    watermark.warm_up(SIZES["tablet"])  # the fonts, loaded before the first page turn
    # Remote media: the web process only relays signalling; media workers start on first use (or now, prewarm).
    workers = MediaWorkers(
        settings.media_workers,
        MediaConfig.from_settings(settings).to_json(),
        primary_viewers=settings.media_primary_viewers,
    )
    remote = RemoteMedia(ctx, workers)
    if ctx.cluster.shared:  # a meeting's media lives on one node; rtc:* arriving elsewhere is relayed to it
        RtcRelay(ctx.cluster, remote)
    ctx.socket_extensions.append(remote.register)
    sio, actions = build_server(ctx)
    broadcaster = Broadcaster(sio, actions.rooms, on_event=actions.on_event)
    if broadcaster.ledger is not None:  # a cluster: what pub/sub loses is delivered from the event log
        ctx.background.append(EventRepair(ctx, broadcaster, broadcaster.ledger, settings.event_repair_seconds))
    actions.to_room = broadcaster.send  # presence too takes the fast fan-out
    broadcast = broadcaster.publish

    def followers(meeting_id: int) -> list[Any]:
        return [a for sid in actions.rooms.grants.get(meeting_id, {}) if (a := actions.actors.get(sid)) is not None]

    prewarm = Prewarm(ctx, followers)  # the presenter's next page, stamped for every follower ahead of the turn
    actions.rooms.on_admitted.append(prewarm.joined)  # and each follower's watermark, drawn before it is needed

    async def publish(events: list[Any]) -> None:
        await broadcast(events)
        envs = [d.env for d in events]
        await remote.observe(envs)
        await prewarm.observe(envs)

    ctx.publish = publish

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.media_prewarm:
            await remote.start()
        await jobs.recover()  # what a crash or a restart left pending
        await ctx.cluster.start()  # heartbeat, shared presence
        for loop in ctx.background:
            await loop.start()
        if settings.gc_freeze:
            gctune.settle_after_startup()  # no full-heap collection pauses under load (infra/gctune.py)
        yield
        limit = settings.shutdown_step_seconds
        for loop in reversed(ctx.background):
            await _timed(f"background {type(loop).__name__}", loop.stop(), limit)
        # This node's presence goes now, not when its heartbeat expires.
        await _timed("cluster", ctx.cluster.stop(), limit)
        await _timed("outbox", jobs.stop(), limit)
        await _timed("prewarm", prewarm.stop(), limit)
        await _timed("media", remote.stop(), limit)  # every peer connection closes with its worker
        await _timed("renderer", close_renderer(ctx), limit)  # no orphaned pdfium worker processes
        # Close sockets first so no handler runs against a disposed engine.
        await _timed("sockets", _disconnect_all(sio), limit)
        await _timed("sign-in limits", ctx.login_limiter.close(), limit)
        db.dispose()

    routes = guard_paths(
        [  # every path parameter checked (ids 1..2^63-1) before any endpoint runs
            Route("/healthz", healthz, methods=["GET"]),
            Route("/api/openapi.json", openapi.endpoint(domains.openapi_operations), methods=["GET"]),
            *domains.http_routes(),
            *pages.routes,
            *i18n_routes.routes,
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ]
    )
    refuse_bodies(routes, domains.openapi_operations())  # a write that takes no data refuses data (web/nobody.py)
    web = Starlette(
        routes=routes,
        # level 6: within 1 % of 9's size at a fifth of its time, spent in the event loop (a 1 MB listing: 0.3 s)
        middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)],
        exception_handlers={
            DomainError: on_domain_error,
            HTTPException: on_http_error,
            ClientDisconnect: on_client_gone,  # answered by Starlette's ExceptionMiddleware: not re-raised as a 500
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    # No redirect from "/path/" to "/path": Starlette builds its Location from the Host header, which a client sets
    # (behind a cache or a proxy passing any Host, a poisoned redirect to another site). A trailing slash is a 404.
    web.router.redirect_slashes = False
    access_log.install()  # a display token in an address is never written to the access log
    web.state.ctx = ctx
    web.state.sio = sio
    web.state.remote = remote
    web.state.jobs = jobs
    web.state.rooms = actions.rooms
    web.state.broadcaster = broadcaster
    web.state.shared_reads = actions.shared_reads
    web.state.actions = actions  # its `accepted`: the client -> server events (tests/test_protocol_doc.py)
    web.state.prewarm = prewarm
    warn_insecure_cookies(settings)  # a real server beyond loopback without Secure cookies: said at start-up
    # Host checked before anything (web/hosts.py: DNS rebinding), inside SecurityHeaders so its refusal has them.
    site = HostCheck(socketio.ASGIApp(sio, other_asgi_app=web, socketio_path="socket.io"), settings)
    asgi = SecurityHeaders(site, settings)
    asgi.state = web.state  # tests and the CLI reach the context through the outer app too (WireTap passes .state on)
    return WireTap(asgi)  # lets the fan-out write pre-framed events to idle websockets (realtime/wire.py)
