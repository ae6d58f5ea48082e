"""Signed checkpoints kept outside the database: <data_dir>/audit-checkpoints/YYYY-MM.jsonl (UTC month).

Each line says "the log had `count` rows, the last being `row_id` with hash `hash`, at `at`", names the MAC
key and the signing key by their ids, links to the previous line (`prev`: SHA-256 of it, so a removed line
or file breaks the links) and carries an Ed25519 signature over all of that. Lines are written after the
transaction that appended the rows commits (a rolled-back row is never checkpointed), under a file lock,
as one O_APPEND write. Truncating the log below a checkpoint, or rewriting a checkpointed row, is caught.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.chain import GENESIS, canonical
from ledger.keys import AuditKeys, public_key_id
from core.clock import iso, realnow
from ledger.keystore import _locked

log = logging.getLogger(__name__)


def _last_line(directory: Path) -> bytes | None:
    for path in sorted(directory.glob("*.jsonl"), reverse=True):
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            lines = [line for line in f.read().splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return None


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.strip()).hexdigest()


def _previous_hash(keys: AuditKeys, directory: Path, path: Path) -> str | None:
    """The hash of the folder's last line (None: no line yet). What this process wrote last, while its file
    still has the size it had then and no newer file was started; otherwise read from the files (another
    process wrote since, or nothing was written yet)."""
    known = keys.last_line
    if known is not None:
        file, size, line_hash = known
        try:
            if file.stat().st_size == size and (path == file or not path.exists()):
                return line_hash
        except FileNotFoundError:
            pass
    previous = _last_line(directory)
    return _line_hash(previous) if previous else None


def write(keys: AuditKeys, *, row_id: int, row_hash: str) -> dict[str, Any] | None:
    """The checkpoint line for the log's row `row_id`; None when this process already checkpointed that row or
    a later one (two commits' lines written after their events, in the other order: the later covers both)."""
    directory = keys.checkpoint_dir
    now = realnow()
    path = directory / f"{now:%Y-%m}.jsonl"
    with _locked(directory):
        if keys.last_checkpoint is not None and keys.last_checkpoint[0] >= row_id:
            return None
        previous = _previous_hash(keys, directory, path)
        body = {
            "v": 1,
            "row_id": row_id,
            "hash": row_hash,
            "count": row_id,
            "at": iso(now),
            "mac_key": keys.mac_key_id(),
            "signer": public_key_id(keys.public_key()),
            "prev": previous or GENESIS,
        }
        body["sig"] = base64.b64encode(keys.signing_key().sign(canonical(body))).decode()
        line = json.dumps(body, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            keys.last_line = (path, os.fstat(fd).st_size, _line_hash(line))
        finally:
            os.close(fd)
        keys.last_checkpoint = (row_id, time.monotonic())
    return body


def due(keys: AuditKeys, row_id: int, meaningful: bool) -> bool:
    if meaningful or keys.checkpoint_rows <= 1 or keys.last_checkpoint is None:
        return True
    last_id, last_time = keys.last_checkpoint
    return row_id - last_id >= keys.checkpoint_rows or time.monotonic() - last_time >= keys.checkpoint_minutes * 60


def after_commit(keys: AuditKeys, tail: tuple[int, str, bool], meaningful: bool) -> None:
    """Called once the rows are committed. A failure here cannot undo the commit: it is logged loudly and
    the next checkpoint covers these rows too."""
    if not due(keys, tail[0], meaningful):
        return
    try:
        write(keys, row_id=tail[0], row_hash=tail[1])
    except Exception:
        log.exception("audit: could not write the checkpoint for row %s", tail[0])


@dataclass
class Checkpoint:
    file: str
    line: int
    body: dict[str, Any]


def read(keys: AuditKeys, public: Ed25519PublicKey) -> tuple[list[Checkpoint], list[str]]:
    """Every well-signed checkpoint in file order, and the problems found with the files themselves."""
    found: list[Checkpoint] = []
    problems: list[str] = []
    prev = GENESIS
    signer = public_key_id(public)
    for path in sorted(keys.checkpoint_dir.glob("*.jsonl")):
        for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
            if not raw.strip():
                continue
            where = f"{path.name} dòng {number}"
            try:
                body = json.loads(raw)
                sig = base64.b64decode(body.pop("sig"))
                public.verify(sig, canonical(body))
            except (ValueError, KeyError, TypeError, AttributeError, InvalidSignature):
                problems.append(f"điểm kiểm {where}: chữ ký không hợp lệ (bị sửa, hoặc ký bằng khóa khác {signer})")
                prev = _line_hash(raw)
                continue
            if body.get("prev") != prev:
                problems.append(
                    f"điểm kiểm {where}: không nối tiếp điểm kiểm trước đó, có điểm kiểm đã bị xóa (tệp bị xóa?)"
                )
            prev = _line_hash(raw)
            found.append(Checkpoint(path.name, number, body))
    return found, problems
