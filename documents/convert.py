"""DOCX/ODT/XLSX/... -> PDF with LibreOffice headless (`soffice`), when it is installed.

Each conversion gets a private work directory holding a cleaned copy of the input (documents/officeclean.py:
nothing that points outside the file), its own LibreOffice profile (so conversions may run side by side) and
the output, and a time limit. LibreOffice runs in documents/sandbox.py (no network, no other files) unless
ECABINET_SOFFICE_SANDBOX=false. Without `soffice`, or without a sandbox when one is required, the upload is
refused with a message that says so (upload a PDF instead). The PDF then goes through the same CDR as any.
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
from core.i18n import Msg
from documents import officeclean, sandbox

TIMEOUT_SECONDS = 180


def available(soffice: str) -> str | None:
    return shutil.which(soffice)


# The fresh profile of each conversion starts with these settings (a third wall behind the cleaning and the
# sandbox): no macro runs, whatever its signature; a linked picture of an untrusted document is not fetched;
# Calc never updates links to other files on load (1 = never).
PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" \
oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" \
oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" \
oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" \
oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


def to_pdf(source: Path, kind: str, *, soffice: str, filename: str, sandboxed: bool = True) -> Path:
    """Convert `source` (an office file of `kind`) to a PDF next to it; answer the PDF's path."""
    return to_pdf_cleaned(source, kind, soffice=soffice, filename=filename, sandboxed=sandboxed)[0]


def to_pdf_cleaned(
    source: Path, kind: str, *, soffice: str, filename: str, sandboxed: bool = True
) -> tuple[Path, dict[str, int]]:
    """Convert `source` (an office file of `kind`) to a PDF next to it; answer the PDF's path and what the cleaning
    removed (label -> count). The converter sees a cleaned copy (documents/officeclean.py) and, `sandboxed`,
    nothing else (documents/sandbox.py)."""
    binary = available(soffice)
    if binary is None:
        raise _unavailable(
            kind,
            Msg(
                "Máy chủ chưa cài LibreOffice nên chưa chuyển được tệp {kind} “{filename}” sang PDF.",
                kind=kind.upper(),
                filename=filename,
            ),
        )
    if sandboxed and not sandbox.available():
        raise _unavailable(
            kind,
            Msg(
                "Máy chủ chưa cách ly được LibreOffice (cần user namespace của Linux) nên không chuyển tệp {kind} "
                "“{filename}” sang PDF.",
                kind=kind.upper(),
                filename=filename,
            ),
        )
    with tempfile.TemporaryDirectory(prefix="ecabinet-soffice-", dir=source.parent) as work:
        work_dir = Path(work).resolve()  # absolute: with the default relative data dir (`var`) soffice would hang
        io_dir = work_dir / "io"
        io_dir.mkdir()
        named = io_dir / f"input.{kind}"
        removed = officeclean.clean(source, named, kind, filename)
        (io_dir / "profile" / "user").mkdir(parents=True)
        (io_dir / "profile" / "user" / "registrymodifications.xcu").write_text(PROFILE, encoding="utf-8")
        seen = sandbox.INSIDE if sandboxed else io_dir  # where the converter finds its files
        # The profile URL percent-encoded: a space or a Vietnamese letter in a path is not a valid URL; soffice hangs.
        argv = [
            binary,
            f"-env:UserInstallation={(seen / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(seen),
            str(seen / named.name),
        ]
        cmd = sandbox.command(argv, work_dir, binary) if sandboxed else argv
        # A clean environment (no server secrets); HOME in the work dir: soffice writes caches there (dconf).
        env = {**sandbox.environment(), "HOME": str(seen)}
        # Its own process group: `soffice` is a launcher whose soffice.bin child would outlive a timeout kill.
        with subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
        ) as proc:
            try:
                _, stderr = proc.communicate(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):  # the whole group may have ended just now
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise _failed(
                    filename, kind, Msg("quá {timeout_seconds} giây", timeout_seconds=TIMEOUT_SECONDS)
                ) from None
        if proc.returncode != 0:
            raise _failed(filename, kind, stderr.decode("utf-8", "replace")[-300:])
        produced = io_dir / "input.pdf"
        if not produced.exists() or produced.stat().st_size == 0:
            # soffice exits 0 on a file it cannot load ("source file could not be loaded"): say what that means.
            raise _failed(filename, kind, "LibreOffice không đọc được tệp, có thể tệp bị hỏng")
        target = source.with_suffix(".converted.pdf")
        shutil.move(str(produced), target)
        return target, removed


def _unavailable(kind: str, why: str) -> ValidationFailed:
    return ValidationFailed(
        "{why} Hãy tải lên bản PDF của tài liệu.", why=why, details={"reason": "conversion_unavailable", "kind": kind}
    )


def _failed(filename: str, kind: str, why: str) -> ValidationFailed:
    return ValidationFailed(
        "Không chuyển được tệp {kind} “{filename}” sang PDF ({why}). Hãy tải lên bản PDF của tài liệu.",
        kind=kind.upper(),
        filename=filename,
        why=why,
        details={"reason": "conversion_failed", "kind": kind},
    )
