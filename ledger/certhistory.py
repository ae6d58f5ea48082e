"""The certificates a signer held before: keys/signers/history/<user>/<replaced at>-<sha256>.pem.

A renewal or an import (ledger/keystore.py KeyStore.store) overwrites keys/signers/<user>.pem; the certificate it
replaces is kept here first, with when it was replaced, so the public check (minutes/verdict.py) still knows a file
signed before then as signed by its holder. Public certificates only: the sealed private key is replaced as before
and only the current key signs."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

log = logging.getLogger(__name__)

_STAMP = "%Y%m%dT%H%M%S%fZ"
_USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")  # ledger/keystore.py: a user id is a file name


@dataclass(frozen=True)
class Held:
    """A certificate a signer holds (`replaced_at` None) or held until `replaced_at` (UTC)."""

    user_id: str
    cert: x509.Certificate
    replaced_at: dt.datetime | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def keep_replaced(signers: Path, uid: str, new: x509.Certificate) -> None:
    """Before <uid>.pem is overwritten by `new`: the certificate there goes to the history (unless it is `new`)."""
    pem = signers / f"{uid}.pem"
    if not pem.exists():
        return
    data = pem.read_bytes()
    try:
        der = x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    except ValueError:
        log.warning("key store: %s is not a certificate, not kept in the history", pem)
        return
    if der == new.public_bytes(serialization.Encoding.DER):
        return  # the same certificate stored again: nothing was replaced
    stamp = dt.datetime.now(dt.timezone.utc).strftime(_STAMP)
    _write(signers / "history" / uid / f"{stamp}-{hashlib.sha256(der).hexdigest()}.pem", data)


def _replaced_at(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.stem.partition("-")[0], _STAMP).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def held(signers: Path, uid: str | None = None) -> list[Held]:
    """Every certificate of signer `uid` (of every signer when None): the current one, then those it replaced,
    the latest replaced first. Unreadable files are skipped."""
    if uid is None:
        uids = sorted({p.stem for p in signers.glob("*.pem")} | {p.name for p in (signers / "history").glob("*")})
    else:
        uids = [uid]
    out: list[Held] = []
    for user in uids:
        if not _USER_ID.match(user) or user.startswith("."):
            continue
        files: list[tuple[Path, dt.datetime | None]] = [(signers / f"{user}.pem", None)]
        for old in sorted((signers / "history" / user).glob("*.pem"), reverse=True):
            at = _replaced_at(old)
            if at is not None:
                files.append((old, at))
        for path, at in files:
            try:
                out.append(Held(user, x509.load_pem_x509_certificate(path.read_bytes()), at))
            except (ValueError, OSError):
                continue
    return out
