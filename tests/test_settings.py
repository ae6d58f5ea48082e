"""ECABINET_* settings: a wrong value stops the start and names its variable; right ones read as before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.settings import Settings, SettingsError, env_name

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ECABINET_DEMO_MODE", "flase"),
        ("ECABINET_COOKIE_SECURE", "2"),
        ("ECABINET_SOFFICE_SANDBOX", "maybe"),
        ("ECABINET_PORT", "80x"),
        ("ECABINET_PORT", "70000"),
        ("ECABINET_SESSION_TTL_HOURS", "12h"),
        ("ECABINET_MEDIA_WORKERS", "1.5"),
        ("ECABINET_SOCKET_RATE", "fast"),
        ("ECABINET_TALLY_INTERVAL", "0,2"),
        ("ECABINET_AUDIT_CHECKPOINT_MINUTES", "ten"),
        ("ECABINET_DATABASE_URL", "not a url"),
        ("ECABINET_REDIS_URL", "http://127.0.0.1:6379"),
        ("ECABINET_ALLOWED_ORIGINS", "example.org"),
        ("ECABINET_ALLOWED_ORIGINS", "https://example.org/path"),
        ("ECABINET_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"),
        ("ECABINET_RTC_HOST_ADDRESSES", "localhost"),
        ("ECABINET_TIMEZONE", "Asia/Hanoi-ish"),
    ],
)
def test_a_bad_value_is_refused_with_the_variables_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value, "ECABINET_PORT": "8001"} if name != "ECABINET_PORT" else {name: value})
    message = str(refused.value)
    assert f"{name}={value!r}" in message
    assert message.count("ECABINET_") == 1 + (
        name == "ECABINET_TIMEZONE"
    )  # only the bad one (the zone's own text names it too)


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"ECABINET_DEMO_MODE": "flase", "ECABINET_MAX_UPLOAD_MB": "lots", "ECABINET_HOST": "0.0.0.0"})
    assert "ECABINET_DEMO_MODE='flase'" in str(refused.value) and "ECABINET_MAX_UPLOAD_MB='lots'" in str(refused.value)
    assert "ECABINET_HOST" not in str(refused.value)


def test_good_values_read_as_before() -> None:
    s = Settings.from_env(
        {
            "ECABINET_DEMO_MODE": " Yes ",
            "ECABINET_COOKIE_SECURE": "1",
            "ECABINET_SOFFICE_SANDBOX": "off",
            "ECABINET_RTC_MUTE_WITHOUT_FLOOR": "FALSE",
            "ECABINET_PORT": " 8443 ",
            "ECABINET_SOCKET_RATE": "3.5",
            "ECABINET_TALLY_INTERVAL": "1",
            "ECABINET_DATA_DIR": "/srv/ecabinet",
            "ECABINET_TIMEZONE": "Europe/Paris",
            "ECABINET_ALLOWED_ORIGINS": "https://hop.gov.vn, http://127.0.0.1:3000,",
            "ECABINET_TRUSTED_PROXIES": "10.0.0.1,192.168.0.0/16",
            "ECABINET_RTC_HOST_ADDRESSES": "127.0.0.1",
            "ECABINET_REDIS_URL": "redis://127.0.0.1:6379/0",
            "ECABINET_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test",
            "ECABINET_SOFFICE": "/opt/lo/soffice",
        }
    )
    assert (s.demo_mode, s.cookie_secure, s.soffice_sandbox, s.rtc_mute_without_floor) == (True, True, False, False)
    assert (s.port, s.socket_rate_per_second, s.tally_interval_seconds) == (8443, 3.5, 1.0)
    assert s.data_dir == Path("/srv/ecabinet") and s.timezone == "Europe/Paris" and s.soffice == "/opt/lo/soffice"
    assert s.allowed_origins == ("https://hop.gov.vn", "http://127.0.0.1:3000")
    assert s.trusted_proxies == ("10.0.0.1", "192.168.0.0/16") and s.rtc_host_addresses == ("127.0.0.1",)
    assert s.effective_database_url == "postgresql+psycopg://postgres@127.0.0.1/test"


def test_unset_or_empty_variables_mean_the_defaults() -> None:
    defaults = Settings()
    assert Settings.from_env({}) == defaults
    assert Settings.from_env({env_name(name): "" for name in Settings.model_fields}) == defaults
    assert (defaults.port, defaults.demo_mode, defaults.soffice_sandbox, defaults.timezone) == (
        8000,
        False,
        True,
        "Asia/Ho_Chi_Minh",
    )
    assert defaults.effective_database_url == f"sqlite:///{Path('var/ecabinet.db').resolve()}"


def test_the_constructor_reads_no_environment_and_validates_like_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECABINET_PORT", "9999")
    assert Settings().port == 8000 and Settings.from_env().port == 9999
    with pytest.raises(ValueError, match="ECABINET_TIMEZONE"):
        Settings(timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        Settings().with_(demo_mode="flase")
    assert Settings().with_(port=1).port == 1


def test_every_setting_is_documented_under_its_variable() -> None:
    docs = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    missing = [env_name(name) for name in Settings.model_fields if env_name(name) not in docs]
    assert not missing, f"undocumented (or named differently in the docs): {missing}"


def test_the_command_stops_with_the_variables_name(tmp_path: Path) -> None:
    env = {**os.environ, "ECABINET_DATA_DIR": str(tmp_path), "ECABINET_DEMO_MODE": "flase"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "ECABINET_DEMO_MODE='flase'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "ecabinet.db").exists()
