"""The content-addressed file store: <data_dir>/files/ab/abcdef....pdf, named by the SHA-256 of the bytes.

Files are written to a temporary name in the same directory and renamed into place, so a reader never sees
half a file and a crash leaves no half-stored blob. Rendered pages live beside it in <data_dir>/pages (a
cache: deleting it only costs re-rendering). Uploads in progress live in <data_dir>/tmp.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

CHUNK = 1 << 20


def files_dir(data_dir: Path) -> Path:
    return data_dir / "files"


def pages_dir(data_dir: Path) -> Path:
    return data_dir / "pages"


def tmp_dir(data_dir: Path) -> Path:
    path = data_dir / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_tmp_path(data_dir: Path, suffix: str = "") -> Path:
    return tmp_dir(data_dir) / f"{uuid.uuid4().hex}{suffix}"


def blob_path(data_dir: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return files_dir(data_dir) / sha256[:2] / f"{sha256}.pdf"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def put(data_dir: Path, source: Path) -> tuple[str, bool]:
    """Store the file at `source` (moved, not copied); answer (sha256, created). Same bytes, same blob."""
    sha = sha256_of(source)
    target = blob_path(data_dir, sha)
    if target.exists():
        source.unlink(missing_ok=True)
        return sha, False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{uuid.uuid4().hex}.part"
    shutil.move(str(source), staging)
    os.replace(staging, target)
    return sha, True


def delete(data_dir: Path, sha256: str) -> None:
    """Drop a blob and its rendered pages (callers make sure no version refers to it any more)."""
    blob_path(data_dir, sha256).unlink(missing_ok=True)
    shutil.rmtree(pages_dir(data_dir) / sha256[:2] / sha256, ignore_errors=True)


def exists(data_dir: Path, sha256: str) -> bool:
    return blob_path(data_dir, sha256).exists()
