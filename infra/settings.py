"""Settings come from ECABINET_* environment variables (and nothing else).

`Settings.from_env()` reads them through pydantic-settings: a value that is not of its setting's type (a
boolean other than true/false, 1/0, yes/no, on/off; a number; a URL; a time zone...) stops the start with
the variable's name, never silently a default. Each field's variable is ECABINET_ + its name in capitals
(a few keep older, shorter names: `_ENV_NAMES`); an empty variable means the default. `Settings(...)`
itself reads no environment: defaults and the arguments given, validated the same way."""

from __future__ import annotations

import ipaddress
import os
import typing
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.clock import DEFAULT_TIMEZONE, zone

PREFIX = "ECABINET_"
# Settings whose variable is not ECABINET_ + the field's name in capitals (documented under these names).
_ENV_NAMES = {
    "socket_rate_per_second": "SOCKET_RATE",
    "tally_interval_seconds": "TALLY_INTERVAL",
    "cluster_heartbeat_seconds": "CLUSTER_HEARTBEAT",
}


def env_name(field: str) -> str:
    return PREFIX + _ENV_NAMES.get(field, field.upper())


class SettingsError(ValueError):
    """Environment variables with values their settings refuse; the message names each variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=True)

    data_dir: Path = Path("var")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # Extra origins allowed to open the socket (same origin is always allowed).
    allowed_origins: tuple[str, ...] = ()
    # Secure cookies (__Host- names, HSTS). Unset: true when public_url is https (web/hosts.py warns at start-up
    # when a non-demo server on a non-loopback address runs without them).
    cookie_secure: bool = False
    # Host names (the Host header) this server answers (web/hosts.py: DNS rebinding); "*" = any. Unset: the host
    # of public_url, the configured `host`, localhost and 127.0.0.1. An IP address is always accepted.
    allowed_hosts: tuple[str, ...] = ()
    # Device cookies (accounts/devices.py): how long a browser that signed in keeps its own failure budget for
    # that user name, apart from the account-wide and address-wide ones; 0 = no device cookies.
    device_cookie_days: int = Field(default=365, ge=0)
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
    # Cluster: how often a node compares each meeting's last seq in the database with what it delivered to its
    # sockets, and delivers from the event log what pub/sub lost (realtime/repair.py; also the grace given to it).
    event_repair_seconds: float = Field(default=1.0, gt=0)
    # Cluster: how often every node looks for outbox jobs (core/outbox.py) that another node left behind (it died
    # before or while running them) and runs them; also how long past its due time a job waits for its own node.
    outbox_takeover_seconds: float = Field(default=30.0, gt=0)
    # Shutdown: the most one step (a background loop, the outbox, Redis, …) may take before the node goes on
    # without it (logged by name), so a stuck connection cannot keep a stopping node from ever exiting.
    shutdown_step_seconds: float = Field(default=5.0, gt=0)
    # The organisation's time zone (IANA name): every time shown in pages, minutes, exports and scripts.
    timezone: str = DEFAULT_TIMEZONE
    sync_max_events: int = 500
    socket_rate_per_second: float = 20.0  # per user (its sockets share it), bursts of twice that
    # Sockets one login user may hold open on this node (tablet, laptop, phone, a few tabs); 0: no limit.
    sockets_per_user: int = Field(default=8, ge=0)
    # Sockets one hall-display token may hold open on this node (the screens of one room); 0: no limit.
    sockets_per_display: int = Field(default=8, ge=0)
    # A websocket that has not completed Socket.IO's connect (signed in) within this is closed.
    socket_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    # How often a listening socket's login session is read again (realtime/recheck.py); the events a socket sends
    # are checked each time.
    socket_recheck_seconds: float = Field(default=5.0, gt=0)
    # Slow clients (web/slow_clients.py): a connection whose request headers are not complete within this is
    # closed; a request body arriving slower than this on average (after 5 s) is answered 408 (0: not checked);
    # beyond this many open connections a request is answered 503 (0: what the open-files limit leaves); a
    # request's head (request line and headers) longer than this many bytes in all is answered 431.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    min_body_bytes_per_second: int = Field(default=1024, ge=0)
    max_connections: int = Field(default=0, ge=0)
    max_header_bytes: int = Field(default=64 * 1024, ge=8 * 1024)
    tally_interval_seconds: float = 0.2  # at most one vote.tally event per vote per interval (votes/live.py)
    # Documents (tài liệu): upload size and page limits, page-render worker processes, LibreOffice binary.
    max_upload_mb: int = 50
    max_document_pages: int = 1000
    render_workers: int = 0  # 0 = one per CPU (at most 4)
    # Memory (MB) each render worker may use on top of its libraries, also while it checks an upload (qpdf): a
    # hostile PDF is refused there instead of taking the server's memory (documents/render.py). 0 = no cap.
    worker_memory_mb: int = Field(default=1536, ge=0)
    # Disk (MB) for the rendered page images: beyond it the least recently used go, zoom renders first, and are
    # rendered again when asked for (documents/page_cache.py).
    page_cache_mb: int = Field(default=2048, ge=1)
    # Whole-file copies (download, annotated export: documents/exports.py, documents/admission.py): how many one user
    # may have running or waiting (429 beyond), and how many may wait for a free export worker (503 beyond). The
    # anonymous signature check has one worker of its own; this many uploads may wait for it (503 beyond).
    exports_per_user: int = Field(default=2, ge=1)
    export_queue: int = Field(default=16, ge=0)
    verify_queue: int = Field(default=2, ge=0)
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
    # Freeze what start-up built out of the garbage collector's sight (infra/gctune.py). The server process
    # sets it (app/cli.py); tests leave it off, as they start many apps in one process.
    gc_freeze: bool = False
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
    # Notifications (notifications/): e-mail through this SMTP server (smtp://[user:pass@]host:port, ?starttls=1,
    # or smtps://); empty = in-product only (said once at start-up). A failed send is tried again after
    # mail_retry_seconds, doubling up to 10 minutes, for ever (the row stays until it is sent).
    smtp_url: str = ""
    smtp_from: str = "e-Cabinet <khong-tra-loi@ecabinet.gov.vn>"
    mail_retry_seconds: float = 30.0
    # The site's address as users reach it (https://ecabinet.example.gov.vn): e-mails link to it; empty = the mail
    # gives the path and says to open it in the e-Cabinet (notifications/services.py).
    public_url: str = ""
    # Follow-up of conclusion notices (notices/): how often the overdue check runs (it also runs at start-up).
    task_check_seconds: float = 300.0
    # GET /api/search answers no earlier than this after the request arrived, and later ones at the next 50 ms step
    # (search/pace.py): its time then says nothing about matches in pages the caller may not read. Sized above
    # bench/search.py's p99 (docs/performance.md). search_engine_timing: bench only, no floor and no per-user
    # budget, so the bench measures the engine; never in a deployment (timing would again tell hidden words).
    search_floor_ms: int = Field(default=150, ge=10, le=5000)
    search_engine_timing: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # the environment only through from_env(): Settings(...) is what it is given

    @field_validator("*", mode="before")
    @classmethod
    def _from_text(cls, value: Any, info: ValidationInfo) -> Any:
        """Environment text into the field's type: tuples are comma-separated lists; spaces around a number
        or boolean are ignored (strings and paths are kept as given)."""
        if not isinstance(value, str):
            return value
        assert info.field_name is not None  # a field validator is always called for one field
        annotation = cls.model_fields[info.field_name].annotation
        if typing.get_origin(annotation) is tuple:
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value if annotation in (str, Path) else value.strip()

    @model_validator(mode="before")
    @classmethod
    def _secure_behind_https(cls, values: Any) -> Any:
        """cookie_secure not given: on when the site's public address is https (cookies then never travel
        in clear and cannot be planted by a plain-HTTP page)."""
        if isinstance(values, dict) and values.get("cookie_secure") in (None, ""):
            values = {**values, "cookie_secure": str(values.get("public_url") or "").strip().startswith("https://")}
        return values

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)  # an unknown zone stops the server at startup, not at the first PDF
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("a TCP port is 0 to 65535")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value:
            try:
                make_url(value)
            except (ArgumentError, ValueError) as exc:
                raise ValueError("not a database URL (e.g. postgresql+psycopg://user@host/db)") from exc
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("not a Redis URL (redis://, rediss:// or unix://)")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port])")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if entry != "*":
                ipaddress.ip_network(entry, strict=False)  # ValueError names the entry
        return value

    @field_validator("rtc_host_addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            ipaddress.ip_address(entry)
        return value

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'ecabinet.db').resolve()}"

    def with_(self, **changes: object) -> "Settings":
        return type(self)(**{**dict(self), **changes})  # validated again, like the constructor

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """The settings from `env` (default: the process environment); SettingsError names every bad variable."""
        values = _Environment(cls, os.environ if env is None else env)()
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc, values)) from None


class _Environment(PydanticBaseSettingsSource):
    """The ECABINET_* variables of `env` that are set and not empty, as text for the fields to parse."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._env.get(env_name(field_name)), field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value:
                values[key] = value
        return values


def _explain(exc: ValidationError, values: Mapping[str, Any]) -> str:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        given = f"={values[field]!r}" if field in values else " (default)"
        lines.append(f"{env_name(field)}{given}: {error['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)
