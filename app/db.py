"""The database as the application opens it: infra/db.py's Database with what the domains hang on every
session wired in (the one place that knows them). The app factory, the CLI, the tests and the benches open
this one."""

from __future__ import annotations

from audit import hooks as audit_hooks
from infra.db import Database as BaseDatabase
from infra.db import Outcome as Outcome
from ledger.chain import KEYS as AUDIT_KEYS
from ledger.keys import AuditKeys
from meetings.events import take_outbox
from search import hooks as search_hooks


class Database(BaseDatabase):
    def __init__(self, url: str, *, audit: AuditKeys | None = None) -> None:
        # The audit log's keys live outside the database (ledger/keys.py); every session carries them.
        self.audit = audit or AuditKeys.for_database_url(url)
        audit_hooks.install()
        search_hooks.install()  # the full-text index follows every writer of this database, CLI and tests included
        super().__init__(url, session_info={AUDIT_KEYS: self.audit}, take_events=take_outbox)
