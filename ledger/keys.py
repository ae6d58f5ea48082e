"""The audit log's two keys, both kept OUTSIDE the database (docs/audit.md):

    <data_dir>/keys/audit/mac.key       32 random bytes: HMAC-SHA256 over every row (ECABINET_AUDIT_KEY_FILE)
    <data_dir>/keys/audit/signing.pem   the organisation's Ed25519 key that signs checkpoints
                                        (ECABINET_AUDIT_SIGNING_KEY_FILE)
    <data_dir>/audit-checkpoints/       signed checkpoints, one JSON line each, a file per month

Both key files are created on first use, owner-only (0600), with the keystore's atomic writer. They must be
backed up apart from the database and be unreadable by whoever administers the database: whoever holds the
MAC key can rewrite the log undetectably, and whoever holds the signing key can forge checkpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.keystore import _locked, _write

MAC_KEY_BYTES = 32
log = logging.getLogger(__name__)


def key_id(raw: bytes) -> str:
    """A short public name for a key: says which key sealed a row without revealing it."""
    return hashlib.sha256(b"ecabinet-audit-key-id\0" + raw).hexdigest()[:16]


def public_key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _load_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    if not path.exists():
        with _locked(path.parent):
            if not path.exists():  # another process may have made it while we waited
                _write(path, make())
    if path.stat().st_mode & 0o077:
        log.warning("audit key %s is readable by other users: chmod 600 it (docs/audit.md)", path)
    return path.read_bytes()


@dataclass
class AuditKeys:
    mac_key_file: Path
    signing_key_file: Path
    checkpoint_dir: Path
    checkpoint_rows: int = 1
    checkpoint_minutes: float = 10.0
    timezone: str = "Asia/Ho_Chi_Minh"  # the organisation's, for the times the verifier names
    # (row id, monotonic time) of this process's last checkpoint: the interval policy (checkpoints.due).
    last_checkpoint: tuple[int, float] | None = field(default=None, repr=False)
    # (file, its size, SHA-256 of its last line) after this process's last checkpoint line: the next line links
    # to it without reading the folder again, while the file still has that size (audit/checkpoints.py).
    last_line: tuple[Path, int, str] | None = field(default=None, repr=False)
    _mac: bytes | None = field(default=None, repr=False)
    _signing: Ed25519PrivateKey | None = field(default=None, repr=False)

    @classmethod
    def for_data_dir(
        cls,
        data_dir: Path,
        *,
        mac_key_file: str | Path = "",
        signing_key_file: str | Path = "",
        checkpoint_rows: int = 1,
        checkpoint_minutes: float = 10.0,
        timezone: str = "Asia/Ho_Chi_Minh",
    ) -> "AuditKeys":
        data_dir = Path(data_dir)
        return cls(
            mac_key_file=Path(mac_key_file) if mac_key_file else data_dir / "keys" / "audit" / "mac.key",
            signing_key_file=Path(signing_key_file)
            if signing_key_file
            else data_dir / "keys" / "audit" / "signing.pem",
            checkpoint_dir=data_dir / "audit-checkpoints",
            checkpoint_rows=max(1, checkpoint_rows),
            checkpoint_minutes=checkpoint_minutes,
            timezone=timezone,
        )

    @classmethod
    def from_settings(cls, settings: object) -> "AuditKeys":
        s: Any = settings  # infra.settings.Settings; ledger sits below infra and cannot name it
        return cls.for_data_dir(
            s.data_dir,
            mac_key_file=s.audit_key_file,
            signing_key_file=s.audit_signing_key_file,
            checkpoint_rows=s.audit_checkpoint_rows,
            checkpoint_minutes=s.audit_checkpoint_minutes,
            timezone=s.timezone,
        )

    @classmethod
    def for_database_url(cls, url: str) -> "AuditKeys":
        """Callers that build a Database without settings (tests, bench): a SQLite file's folder is its data
        dir (the default layout); otherwise the environment's settings."""
        from infra.settings import Settings

        settings = Settings.from_env()
        if url.startswith("sqlite:///") and ":memory:" not in url:
            settings = settings.with_(data_dir=Path(url.removeprefix("sqlite:///")).parent)
        return cls.from_settings(settings)

    def ensure(self) -> "AuditKeys":
        """Create (or load) both keys now: at the server's start, not at its first write."""
        self.mac_key()
        self.signing_key()
        return self

    def local_time(self, at: str | None) -> str:
        """An ISO UTC time as the organisation reads it (HH:MM dd/mm/yyyy)."""
        try:
            moment = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        except ValueError:
            return str(at)
        return f"{moment.astimezone(ZoneInfo(self.timezone)):%H:%M:%S %d/%m/%Y}"

    # --- the MAC key ---------------------------------------------------------------------------------------

    def mac_key(self) -> bytes:
        if self._mac is None:
            raw = _load_or_create(self.mac_key_file, lambda: secrets.token_bytes(MAC_KEY_BYTES))
            if len(raw) < MAC_KEY_BYTES:
                raise RuntimeError(f"audit MAC key {self.mac_key_file} is shorter than {MAC_KEY_BYTES} bytes")
            self._mac = raw
        return self._mac

    def mac_key_id(self) -> str:
        return key_id(self.mac_key())

    def mac(self, row_hash: str) -> str:
        return hmac.new(self.mac_key(), b"ecabinet-audit-row\0" + row_hash.encode(), hashlib.sha256).hexdigest()

    def mac_ok(self, row_hash: str, mac: str | None) -> bool:
        return bool(mac) and hmac.compare_digest(self.mac(row_hash), mac or "")

    # --- the organisation's signing key ----------------------------------------------------------------------

    def signing_key(self) -> Ed25519PrivateKey:
        if self._signing is None:
            pem = _load_or_create(
                self.signing_key_file,
                lambda: Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
            )
            key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise RuntimeError(f"audit signing key {self.signing_key_file} is not an Ed25519 key")
            self._signing = key
        return self._signing

    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key().public_key()
