"""DOCX/ODT/XLSX/... -> PDF with LibreOffice headless (`soffice`), when it is installed.

Each conversion gets its own LibreOffice profile directory so that conversions may run side by side, and a
time limit. Without `soffice` the upload is refused with a message that says so (upload a PDF instead).
"""
from __future__ import annotations

import shutil
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
        work_dir = Path(work)
        named = work_dir / f"input.{kind}"
        shutil.copyfile(source, named)
        cmd = [binary, f"-env:UserInstallation=file://{work_dir / 'profile'}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(work_dir), str(named)]  # fmt: skip
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise _failed(filename, kind, f"quá {TIMEOUT_SECONDS} giây") from None
        except subprocess.CalledProcessError as exc:
            raise _failed(filename, kind, exc.stderr.decode("utf-8", "replace")[-300:]) from None
        produced = work_dir / "input.pdf"
        if not produced.exists() or produced.stat().st_size == 0:
            raise _failed(filename, kind, "LibreOffice không tạo ra tệp PDF")
        target = source.with_suffix(".converted.pdf")
        shutil.move(str(produced), target)
        return target


def _failed(filename: str, kind: str, why: str) -> ValidationFailed:
    return ValidationFailed(
        f"Không chuyển được tệp {kind.upper()} “{filename}” sang PDF ({why}). Hãy tải lên bản PDF của tài liệu.",
        details={"reason": "conversion_failed", "kind": kind},
    )
