"""The notices lifecycle, the overdue check and the notification rules on PostgreSQL (row locks, the registers'
unique numbers, the mail lease's SKIP LOCKED): the same tests as on SQLite, on a fresh database."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from app.db import Database
from infra.settings import Settings
from tests.conftest import free_port
from tests.pg import fresh_database
from tests.test_notices import (  # noqa: F401 - collected here again, on PostgreSQL
    test_an_overdue_task_is_told_once_by_the_check_that_runs_by_itself,
    test_notice_lifecycle_with_denied_and_allowed_pairs,
)
from tests.test_notifications import test_a_notify_job_handled_twice_notifies_once, inbox  # noqa: F401
from tests.test_notifications import (
    test_invitations_arrive_by_mail_encoded_once_per_recipient_as_each_chose,  # noqa: F401
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, pg_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=pg_url,
        port=free_port(),
        login_max_failures=5,
        socket_rate_per_second=200,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.effective_database_url)
    yield database
    database.dispose()
