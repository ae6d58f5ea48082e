"""Run alembic programmatically (ecabinet migrate, make demo, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from infra.paths import ALEMBIC_INI, MIGRATIONS_DIR


def alembic_config(url: str) -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
