"""DOCX/ODT/XLSX/... -> PDF with LibreOffice headless (`soffice`), when it is installed.

Each conversion gets its own LibreOffice profile directory so that conversions may run side by side, and a
time limit. Without `soffice` the upload is refused with a message that says so (upload a PDF instead).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from core.errors import ValidationFailed

TIMEOUT_SECONDS = 180


def available(soffice: str) -> str | None:
    return shutil.which(soffice)


def to_pdf(source: Path, kind: str, *, soffice: str, filename: str) -> Path:
    """Convert `source` (an office file of `kind`) to a PDF next to it; answer the PDF's path."""
    binary = available(soffice)
    if binary is None:
        raise ValidationFailed(
            f"Máy chủ chưa cài LibreOffice nên chưa chuyển được tệp {kind.upper()} “{filename}” sang PDF. "
            "Hãy tải lên bản PDF của tài liệu.",
            details={"reason": "conversion_unavailable", "kind": kind},
        )
    with tempfile.TemporaryDirectory(prefix="ecabinet-soffice-", dir=source.parent) as work:
        # Absolute and percent-encoded: with the default relative data dir (`var`) a bare f"file://{path}" names
        # a host "var", and a space or a Vietnamese letter in the path is not a valid URL; soffice then hangs.
        work_dir = Path(work).resolve()
        named = work_dir / f"input.{kind}"
        shutil.copyfile(source, named)
        cmd = [binary, f"-env:UserInstallation={(work_dir / 'profile').as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(work_dir), str(named)]  # fmt: skip
        # HOME inside the work dir: soffice writes caches there (dconf), which a service account's HOME may not allow.
        env = {**os.environ, "HOME": str(work_dir)}
        # Its own process group: `soffice` is a launcher whose soffice.bin child would outlive a timeout kill.
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True) as proc:
            try:
                _, stderr = proc.communicate(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):  # the whole group may have ended just now
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise _failed(filename, kind, f"quá {TIMEOUT_SECONDS} giây") from None
        if proc.returncode != 0:
            raise _failed(filename, kind, stderr.decode("utf-8", "replace")[-300:])
        produced = work_dir / "input.pdf"
        if not produced.exists() or produced.stat().st_size == 0:
            # soffice exits 0 on a file it cannot load ("source file could not be loaded"): say what that means.
            raise _failed(filename, kind, "LibreOffice không đọc được tệp, có thể tệp bị hỏng")
        target = source.with_suffix(".converted.pdf")
        shutil.move(str(produced), target)
        return target


def _failed(filename: str, kind: str, why: str) -> ValidationFailed:
    return ValidationFailed(
        f"Không chuyển được tệp {kind.upper()} “{filename}” sang PDF ({why}). Hãy tải lên bản PDF của tài liệu.",
        details={"reason": "conversion_failed", "kind": kind},
    )
