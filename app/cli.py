"""The `ecabinet` command: serve, demo, migrate, createuser, audit verify."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from typing import TYPE_CHECKING, Literal, NoReturn, TypedDict

from infra.settings import Settings, SettingsError

if TYPE_CHECKING:
    from core.errors import DomainError
    from web.slow_clients import SlowClientsProtocol


def _migrate(settings: Settings) -> None:
    from app.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    _adopt_new_facts(settings)


def _adopt_new_facts(settings: Settings) -> None:
    """A log anchored before a kind of state had facts (the minutes) adopts that state once (audit/minutes_facts.py)."""
    from app.db import Database
    from ledger.keys import AuditKeys
    from audit import minutes_facts, session_facts

    db = Database(settings.effective_database_url, audit=AuditKeys.from_settings(settings))
    try:
        db.run_write(minutes_facts.adopt_if_new)
        db.run_write(session_facts.adopt_if_new)
    finally:
        db.dispose()


class ServerOptions(TypedDict):
    """uvicorn.Config's keyword arguments that server_options() sets."""

    host: str
    port: int
    ws: str
    ws_per_message_deflate: bool
    ws_ping_interval: float | None
    proxy_headers: bool
    forwarded_allow_ips: list[str]
    server_header: bool
    lifespan: Literal["auto", "on", "off"]
    timeout_graceful_shutdown: int
    http: type[SlowClientsProtocol]
    ws_max_size: int


def server_options(settings: Settings) -> ServerOptions:
    """uvicorn options shared by `ecabinet serve`, the demo and the tests' servers. Forwarded headers
    (X-Forwarded-For/-Proto) are believed only from ECABINET_TRUSTED_PROXIES: uvicorn's default trusts them
    from 127.0.0.1, which let any local client choose the address its login failures were counted under.
    permessage-deflate off: browsers always negotiate it, and then every event is compressed once per
    recipient (~30% more server CPU per delivery and ~40 KB more RSS per socket; docs/performance.md).
    No websocket-level keepalive pings from uvicorn: Engine.IO pings every socket itself (ping_interval,
    realtime/server.py) and drops one that does not answer; a second timer and ping per socket only cost.
    Shutdown (after the drain, infra/draining.py) waits at most 10 s for requests in flight: a node always
    stops, whatever one connection does.
    Slow clients (web/slow_clients.py): uvicorn's httptools protocol with a header deadline, a minimum body rate
    and a connection cap, so idle or trickling connections cannot take every file descriptor. A websocket frame
    larger than the largest event needs (realtime/guarded.py MAX_FRAME_BYTES) fails its connection as its header
    arrives (websockets' max_size, close code 1009), before the frame is buffered."""
    from realtime.guarded import MAX_FRAME_BYTES
    from web.slow_clients import default_max_connections, protocol

    trusted = settings.trusted_proxies
    return {
        "host": settings.host,
        "port": settings.port,
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
        "ws_ping_interval": None,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": list(trusted) if trusted else [],
        "server_header": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 10,
        "http": protocol(
            settings.header_timeout_seconds,
            settings.min_body_bytes_per_second,
            settings.max_connections or default_max_connections(),
            settings.max_header_bytes,
        ),
        "ws_max_size": MAX_FRAME_BYTES,
    }


def _serve(settings: Settings) -> None:
    import uvicorn

    from infra.draining import DrainingServer
    from app.factory import create_app
    from web.slow_clients import raise_open_files

    raise_open_files()  # before server_options sizes the connection cap from it
    # The server starts its media worker(s) with it (unless ECABINET_MEDIA_PREWARM says otherwise), and freezes its
    # start-up heap (infra/gctune.py).
    settings = settings.with_(gc_freeze=True)
    if not os.environ.get("ECABINET_MEDIA_PREWARM"):
        settings = settings.with_(media_prewarm=True)
    app = create_app(settings)
    config = uvicorn.Config(app, log_level="info", **server_options(settings))
    DrainingServer(config, app.state.ctx).run()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    _migrate(settings)
    print(f"Đã cập nhật lược đồ cơ sở dữ liệu: {settings.effective_database_url}")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    settings = settings.with_(host=args.host or settings.host, port=args.port or settings.port)
    _migrate(settings)
    _serve(settings)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from app.db import Database
    from accounts.passwords import hash_password
    from app.demo import DEMO_PASSWORD, ensure_signers, load
    from app.demo.seed import DEMO_TRUSTEE_PASSPHRASE, KEY_HOLDERS, enrol_trustee_keys
    from app.demo.documents import add_papers
    from core.errors import DomainError
    from ledger.keys import AuditKeys

    settings = settings.with_(demo_mode=True, host=args.host or settings.host, port=args.port or settings.port)
    if not settings.rtc_host_addresses and settings.host in ("127.0.0.1", "localhost"):
        settings = settings.with_(rtc_host_addresses=("127.0.0.1",))  # one-machine demo: ICE over loopback
    _migrate(settings)
    db = Database(settings.effective_database_url, audit=AuditKeys.from_settings(settings))
    # ECABINET_DEMO_BARE=1: accounts and the published meeting only, no papers or other meetings (browser tests).
    full = os.environ.get("ECABINET_DEMO_BARE", "") not in ("1", "true")
    pw_hash = hash_password(DEMO_PASSWORD)  # before the write: no hash holds the write lock
    try:  # a demo account that reads like an account already there (accounts/namesakes.py) is refused: nothing loads
        accounts = db.run_write(load, full=full, password_hash=pw_hash).result
    except DomainError as exc:
        db.dispose()
        _refused(exc)
    enrol_trustee_keys(db)  # the key holders' keys, sealed with the demo trustee passphrase (outside the write)
    if full:
        add_papers(settings, db)
    db.dispose()
    ensure_signers(settings.data_dir)  # minutes: the secretary's and the chair's signing certificates
    print("\nTài khoản demo (mật khẩu cho tất cả: %r — chỉ dùng cho demo):" % DEMO_PASSWORD)
    for username, who in accounts.items():
        if not username.startswith("thanhvien") or username in ("thanhvien01", "thanhvien26"):
            print(f"  {username:<12} {who}")
    print("  thanhvien02 … thanhvien25: các thành viên Chính phủ khác")
    print(
        "Cụm mật khẩu người giữ khóa kiểm phiếu (%s; biểu quyết kín): %r"
        % (", ".join(KEY_HOLDERS), DEMO_TRUSTEE_PASSPHRASE)
    )
    print(f"\ne-Cabinet: http://{settings.host}:{settings.port}\n", flush=True)
    if not args.no_serve:
        _serve(settings)


def cmd_createuser(args: argparse.Namespace, settings: Settings) -> None:
    from accounts.passwords import new_hash
    from accounts.schemas import UserCreate
    from accounts.services import create_user
    from app.db import Database
    from web.http import validate
    from ledger.keys import AuditKeys
    from core.errors import DomainError

    _migrate(settings)
    password = os.environ.get("ECABINET_NEW_PASSWORD") or getpass.getpass("Mật khẩu: ")
    db = Database(settings.effective_database_url, audit=AuditKeys.from_settings(settings))
    try:
        data = validate(
            UserCreate,
            {
                "username": args.username,
                "full_name": args.full_name,
                "title": args.title,
                "unit": args.unit,
                "role": args.role,
                "password": password,
                "same_name_confirmed": bool(getattr(args, "same_name_confirmed", False)),
            },
        )
        # the policy and the hash before the write: a server running on this database meanwhile keeps writing
        pw_hash = new_hash(
            data.password, min_length=settings.password_min_length, username=data.username, full_name=data.full_name
        )
        user = db.run_write(
            create_user, actor=None, data=data, min_length=settings.password_min_length, password_hash=pw_hash
        ).result
    except DomainError as exc:
        _refused(exc)
    finally:
        db.dispose()
    print(f"Đã tạo tài khoản {user.username} ({user.role.value}).")


def _refused(exc: DomainError) -> NoReturn:
    """A refusal of the command line: its message and details on stderr, exit status 2, no traceback."""
    print(f"Lỗi: {exc.message}", file=sys.stderr)
    details = exc.details
    if isinstance(details, dict):  # same_name (accounts/namesakes.py): the accounts that have the name
        for other in details.get("accounts", []):
            state = "" if other.get("active") else " (đã khóa)"
            print(f"  - {other.get('full_name')}, {other.get('title')}, {other.get('unit')}{state}", file=sys.stderr)
        if exc.code == "same_name":
            print("  Nếu đây là một người khác, chạy lại với --same-name-confirmed.", file=sys.stderr)
    else:
        for d in details or []:
            print(f"  - {d.get('field')}: {d.get('message')}", file=sys.stderr)
    raise SystemExit(2)


def cmd_audit(args: argparse.Namespace, settings: Settings) -> None:
    from audit.cli import print_public_key, verify_command

    if args.action == "public-key":
        raise SystemExit(print_public_key(settings))
    from app.db import Database
    from ledger.keys import AuditKeys

    db = Database(settings.effective_database_url, audit=AuditKeys.from_settings(settings))
    raise SystemExit(verify_command(db, public_key=args.public_key, as_json=args.json))


def cmd_verify_ballot(args: argparse.Namespace, settings: Settings) -> None:
    """Needs no database or settings: the board file alone (exit 0 verified, 1 a failed check, 2 unreadable)."""
    import json

    from votes.ballot.verify import Invalid, key_origin, outcome_line, verify_board

    try:
        board = json.loads(open(args.board, encoding="utf-8").read())
    except (OSError, ValueError) as e:
        print(f"Không đọc được bảng phiếu: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    boards = board["boards"] if isinstance(board, dict) and isinstance(board.get("boards"), list) else [board]
    for board in boards:  # one board, or the file exported with the minutes (every secret vote of the meeting)
        try:
            counts = verify_board(board)
        except (Invalid, KeyError, TypeError, AttributeError, ValueError) as e:
            print(f"KHÔNG HỢP LỆ: {e}")
            raise SystemExit(1) from None
        print(f"Hợp lệ: {len(board['ballots'])} phiếu, mọi bằng chứng đã kiểm; dấu vân tay {board['fingerprint']}")
        if key_origin(board["params"]) == "ceremony":
            print(
                f"  Khóa do {len(board['params']['trustees'])} người giữ khóa cùng tạo (lễ tạo khóa), "
                "bằng chứng đã kiểm."
            )
        else:
            print("  Lưu ý: khóa do máy chủ tạo (biểu quyết cũ, trước lễ tạo khóa).")
        if counts is not None:
            for option, n in zip(board["params"]["options"], counts):
                print(f"  {option['label']}: {n}")
            print(outcome_line(board, counts))
        else:
            print("  Chưa có kết quả giải mã.")


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="ecabinet", description="e-Cabinet: họp không giấy của Chính phủ")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("serve", "chạy máy chủ"), ("demo", "nạp dữ liệu demo và chạy máy chủ")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        if name == "demo":
            p.add_argument("--no-serve", action="store_true", help="chỉ nạp dữ liệu, không chạy máy chủ")
    sub.add_parser("migrate", help="cập nhật lược đồ cơ sở dữ liệu (alembic upgrade head)")
    p = sub.add_parser("createuser", help="tạo tài khoản (mật khẩu từ ECABINET_NEW_PASSWORD hoặc nhập)")
    p.add_argument("username")
    p.add_argument("--full-name", required=True)
    p.add_argument("--title", default="")
    p.add_argument("--unit", default="")
    p.add_argument("--role", default="member", choices=["admin", "secretariat", "member", "guest"])
    p.add_argument(
        "--same-name-confirmed",
        action="store_true",
        help="đã có tài khoản cùng họ tên: xác nhận đây là một người khác",
    )
    p = sub.add_parser("audit", help="nhật ký hệ thống")
    p.add_argument(
        "action",
        choices=["verify", "public-key"],
        help="verify: kiểm tra chuỗi, MAC, điểm kiểm và trạng thái (mã thoát 1 nếu có vấn đề); "
        "public-key: in khóa công khai ký điểm kiểm để lưu ở nơi khác",
    )
    p.add_argument(
        "--public-key", help="khóa công khai Ed25519 (PEM) của tổ chức, lưu ở nơi khác, để kiểm chữ ký điểm kiểm"
    )
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    p = sub.add_parser("verify-ballot", help="kiểm chứng bảng phiếu kín (BOARD.json): mọi bằng chứng và kết quả")
    p.add_argument("board")
    args = parser.parse_args(argv)
    if args.command == "verify-ballot":
        raise SystemExit(cmd_verify_ballot(args, None))  # type: ignore[arg-type, func-returns-value]
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise SystemExit(str(exc)) from None  # the variable's name and value, exit status 1, no traceback
    {"serve": cmd_serve, "demo": cmd_demo, "migrate": cmd_migrate, "createuser": cmd_createuser, "audit": cmd_audit}[
        args.command
    ](args, settings)


if __name__ == "__main__":
    main()
