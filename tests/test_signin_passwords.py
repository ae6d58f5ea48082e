"""The password policy wherever a password is set (API, createuser), and one answer for every failed login."""

from __future__ import annotations

import statistics
import time

import httpx
import pytest

from accounts import passwords
from accounts.models import GlobalRole
from accounts.schemas import UserCreate
from accounts.services import create_user
from core.errors import ValidationFailed
from tests.conftest import LiveServer
from tests.factories import make_user
from tests.live import login
from tests.test_cli import run

WEAK = [
    "Password123",
    "Qwerty12345",
    " " * 10 + "1",
    "\t" * 12,
    "aaaaaaaaaaaab1",
    "1234567890",
    "Matkhau@2024",
    "Vietnam@2025",
    "Hanoi123456789",
    "anhyeuem123456",
    "ChinhPhu2026!",
    "Xy7#Xy7#Xy7#",
    "abcdefghijkl",
    "qwertyuiopas",
    "01/01/1990ab",
    "iloveyou2024",
]
STRONG = ["Ngay-mai-troi-lai-sang-7", "Dai-va-manh-2026", "Mật-khẩu-thử-2026", "tre xanh; 4 mua gio chuyen"]


@pytest.mark.parametrize("password", WEAK)
def test_common_guessable_and_repeated_passwords_are_refused_with_a_reason(password: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        passwords.check_policy(password, min_length=10, username="botruong", full_name="Phạm Minh Chính")
    message = refused.value.message
    assert "Mật khẩu" in message and "Hãy dùng một cụm từ dài" in message  # why, and what to do instead


@pytest.mark.parametrize("password", STRONG)
def test_long_unguessable_passwords_pass(password: str) -> None:
    passwords.check_policy(password, min_length=10, username="botruong", full_name="Phạm Minh Chính")


@pytest.mark.parametrize(
    "password", ["botruong-xanh-2026", "Pham-Minh-Chinh-99", "phạm.chính.ngày.mai", "CHINH-tre-xanh-8"]
)
def test_the_users_own_name_or_username_is_refused(password: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        passwords.check_policy(password, min_length=10, username="botruong", full_name="Phạm Minh Chính")
    assert "tên đăng nhập hoặc họ tên" in refused.value.message


async def test_the_api_refuses_weak_passwords_and_says_why(live_server: LiveServer) -> None:
    admin = await login(live_server.url, make_user(live_server.db, GlobalRole.admin).username)
    try:
        for weak in ("Password123", "Qwerty12345", " " * 10 + "1"):
            r = await admin.post("/api/users", json={"username": "moi", "full_name": "Người Mới", "password": weak})
            assert r.status_code == 422, (weak, r.text)
            error = r.json()["error"]
            assert error["code"] == "validation_failed" and error["details"][0]["field"] == "password"
        ok = await admin.post("/api/users", json={"username": "moi", "full_name": "Người Mới", "password": STRONG[0]})
        assert ok.status_code == 201
    finally:
        await admin.aclose()


def test_createuser_refuses_a_common_password(tmp_path) -> None:
    weak = run(tmp_path, "createuser", "botruong", "--full-name", "Bộ trưởng Thử", password="Qwerty12345")
    assert weak.returncode == 2 and "phổ biến" in weak.stderr


def test_demo_mode_keeps_the_demo_password(tmp_path) -> None:
    """The demo loader sets `demo` for everyone; the policy is for passwords people choose."""
    from app.db import Database
    from app.demo import DEMO_PASSWORD, load
    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    db = Database(url)
    try:
        db.run_write(load)
        from accounts.passwords import check
        from accounts.services import login as do_login, stored_hash

        checked = check(db.run_read(stored_hash, username="thutuong"), DEMO_PASSWORD)
        _, _, user = db.run_write(
            do_login, username="thutuong", check=checked, min_length=10, demo_mode=True, ttl_hours=1
        ).result
        assert user.username == "thutuong"
    finally:
        db.dispose()


def _median_ms(client: httpx.Client, username: str, password: str, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        assert client.post("/api/auth/login", json={"username": username, "password": password}).status_code == 401
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def test_unknown_user_wrong_password_and_short_correct_password_look_alike(live_server: LiveServer) -> None:
    """Same status and body, and every one runs a full hash verification (timing of one class): with a
    hash made 10x slower than a request's own cost, each median is far above the no-hash floor."""
    import asyncio

    passwords.configure(time_cost=12, memory_cost=8192)
    try:
        data = UserCreate(username="ngan", full_name="Mật Khẩu Ngắn", role=GlobalRole.member, password="demo")
        live_server.db.run_write(create_user, actor=None, data=data, min_length=10, enforce_policy=False)

        def measure() -> dict[str, float]:
            with httpx.Client(base_url=live_server.url, timeout=30) as client:
                answers = {
                    (client.post("/api/auth/login", json={"username": u, "password": p}).content)
                    for u, p in (("ngan", "demo"), ("ngan", "dema"), ("khong-co", "demo"))
                }
                assert len(answers) == 1, answers
                return {
                    "short_correct": _median_ms(client, "ngan", "demo", 1),
                    "wrong": _median_ms(client, "ngan", "dema", 1),
                    "unknown": _median_ms(client, "khong-co", "demo", 1),
                }

        timings = await asyncio.to_thread(measure)
        slowest = max(timings.values())
        assert min(timings.values()) > slowest / 4, timings
    finally:
        passwords.configure(time_cost=1, memory_cost=1024)
