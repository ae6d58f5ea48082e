"""Settings come from ECABINET_* environment variables (and nothing else)."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from core.clock import DEFAULT_TIMEZONE, zone


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # Extra origins allowed to open the socket (same origin is always allowed).
    allowed_origins: tuple[str, ...] = ()
    cookie_secure: bool = False
    session_ttl_hours: int = 12
    password_min_length: int = 10
    # Demo mode admits the short demo passwords; a real deployment never does.
    demo_mode: bool = False
    login_max_failures: int = 5
    login_window_seconds: int = 300
    # Reverse proxies whose X-Forwarded-For / -Proto are believed (addresses or networks); none by default,
    # so a client cannot pick the address its login failures are counted under.
    trusted_proxies: tuple[str, ...] = ()
    redis_url: str = ""
    redis_channel: str = "ecabinet"  # also the prefix of every Redis key this deployment uses
    # Cluster (docs/deployment.md): this node's name (default: host-port-random, new at each start), its
    # heartbeat in Redis (dead after three missed), and how long SIGTERM keeps it serving while /healthz
    # already says "draining" so the load balancer moves new work elsewhere before sockets are closed.
    node_id: str = ""
    cluster_heartbeat_seconds: float = 2.0
    drain_seconds: float = 3.0
    # The organisation's time zone (IANA name): every time shown in pages, minutes, exports and scripts.
    timezone: str = DEFAULT_TIMEZONE
    sync_max_events: int = 500
    socket_rate_per_second: float = 20.0
    tally_interval_seconds: float = 0.2  # at most one vote.tally event per vote per interval (votes/live.py)
    # Documents (tài liệu): upload size and page limits, page-render worker processes, LibreOffice binary.
    max_upload_mb: int = 50
    max_document_pages: int = 1000
    render_workers: int = 0  # 0 = one per CPU (at most 4)
    soffice: str = "soffice"
    soffice_sandbox: bool = True  # LibreOffice without network or files (documents/sandbox.py); false: unsandboxed
    # Remote media (WebRTC MCU in media worker processes). ICE servers: JSON [{urls, username, credential}]
    # or comma-separated URLs; empty = none (never a public default). Host addresses limit the server's ICE
    # host candidates (tests and a one-machine demo: 127.0.0.1). Prewarm starts the workers with the server.
    # With several workers, a meeting's receive-only viewers beyond `media_primary_viewers` are served by
    # the other workers from the composing worker's encoded streams (0: all of them; measured fastest).
    ice_servers: str = ""
    rtc_host_addresses: tuple[str, ...] = ()
    media_workers: int = 1
    media_primary_viewers: int = 0
    media_prewarm: bool = False
    media_fps: int = 15
    media_bitrate_kbps: int = 1500
    rtc_grace_seconds: float = 20.0
    # Organisation setting: a remote member without the floor joins muted (unmutes when given the floor).
    rtc_mute_without_floor: bool = True
    # Audit log (docs/audit.md): the MAC key and the organisation's checkpoint-signing key, both outside the
    # database (default: <data_dir>/keys/audit/); a signed checkpoint after every N committed writes (1: each)
    # or M minutes, and always at a decision or a signature.
    audit_key_file: str = ""
    audit_signing_key_file: str = ""
    audit_checkpoint_rows: int = 1
    audit_checkpoint_minutes: float = 10.0

    def __post_init__(self) -> None:
        zone(self.timezone)  # an unknown zone stops the server at startup, not at the first PDF

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'ecabinet.db').resolve()}"

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        get = lambda name: env.get(f"ECABINET_{name}")  # noqa: E731
        base = cls()
        return cls(
            data_dir=Path(get("DATA_DIR") or base.data_dir),
            database_url=get("DATABASE_URL") or "",
            host=get("HOST") or base.host,
            port=int(get("PORT") or base.port),
            allowed_origins=_list(get("ALLOWED_ORIGINS")),
            cookie_secure=_bool(get("COOKIE_SECURE"), base.cookie_secure),
            session_ttl_hours=int(get("SESSION_TTL_HOURS") or base.session_ttl_hours),
            password_min_length=int(get("PASSWORD_MIN_LENGTH") or base.password_min_length),
            demo_mode=_bool(get("DEMO_MODE"), base.demo_mode),
            login_max_failures=int(get("LOGIN_MAX_FAILURES") or base.login_max_failures),
            login_window_seconds=int(get("LOGIN_WINDOW_SECONDS") or base.login_window_seconds),
            trusted_proxies=_list(get("TRUSTED_PROXIES")),
            redis_url=get("REDIS_URL") or "",
            redis_channel=get("REDIS_CHANNEL") or base.redis_channel,
            node_id=get("NODE_ID") or "",
            cluster_heartbeat_seconds=float(get("CLUSTER_HEARTBEAT") or base.cluster_heartbeat_seconds),
            drain_seconds=float(get("DRAIN_SECONDS") or base.drain_seconds),
            timezone=get("TIMEZONE") or base.timezone,
            sync_max_events=int(get("SYNC_MAX_EVENTS") or base.sync_max_events),
            socket_rate_per_second=float(get("SOCKET_RATE") or base.socket_rate_per_second),
            tally_interval_seconds=float(get("TALLY_INTERVAL") or base.tally_interval_seconds),
            max_upload_mb=int(get("MAX_UPLOAD_MB") or base.max_upload_mb),
            max_document_pages=int(get("MAX_DOCUMENT_PAGES") or base.max_document_pages),
            render_workers=int(get("RENDER_WORKERS") or base.render_workers),
            soffice=get("SOFFICE") or base.soffice,
            soffice_sandbox=_bool(get("SOFFICE_SANDBOX"), base.soffice_sandbox),
            ice_servers=get("ICE_SERVERS") or "",
            rtc_host_addresses=_list(get("RTC_HOST_ADDRESSES")),
            media_workers=int(get("MEDIA_WORKERS") or base.media_workers),
            media_primary_viewers=int(get("MEDIA_PRIMARY_VIEWERS") or base.media_primary_viewers),
            media_prewarm=_bool(get("MEDIA_PREWARM"), base.media_prewarm),
            media_fps=int(get("MEDIA_FPS") or base.media_fps),
            media_bitrate_kbps=int(get("MEDIA_BITRATE_KBPS") or base.media_bitrate_kbps),
            rtc_grace_seconds=float(get("RTC_GRACE_SECONDS") or base.rtc_grace_seconds),
            rtc_mute_without_floor=_bool(get("RTC_MUTE_WITHOUT_FLOOR"), base.rtc_mute_without_floor),
            audit_key_file=get("AUDIT_KEY_FILE") or "",
            audit_signing_key_file=get("AUDIT_SIGNING_KEY_FILE") or "",
            audit_checkpoint_rows=int(get("AUDIT_CHECKPOINT_ROWS") or base.audit_checkpoint_rows),
            audit_checkpoint_minutes=float(get("AUDIT_CHECKPOINT_MINUTES") or base.audit_checkpoint_minutes),
        )
