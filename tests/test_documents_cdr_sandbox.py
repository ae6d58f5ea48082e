"""The converter's walls on their own, apart from what the cleaning removes (tests/test_documents_cdr_office.py):
the sandbox LibreOffice runs in reaches no network and no server file and writes only its work folder; zip bombs
and DTDs are refused before conversion; a conversion past its time limit leaves no process behind; a host with
no sandbox refuses conversions."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from documents import officeclean, sandbox
from tests.test_documents_cdr_office import SECRET, W, docx_field, secrets, web  # noqa: F401  (fixtures: secrets, web)
from tests.waiting import eventually_sync
from tests.test_documents_convert import soffice  # noqa: F401  (fixture: LibreOffice and its fonts are there)


def test_the_sandbox_has_no_network_and_no_server_files(tmp_path: Path, web, secrets) -> None:
    """The second wall alone: even a command that tries gets neither (LibreOffice runs exactly like this)."""
    url, hits = web
    assert sandbox.available(), "this host must allow `unshare --user --net --mount` (CI runs as root)"
    work = tmp_path / "work"
    (work / "io").mkdir(parents=True)
    port = url.rsplit(":", 1)[1]
    probe = f'cat "{secrets["text"]}"; cat /etc/hostname; (exec 3<>/dev/tcp/127.0.0.1/{port}) && echo reached'
    done = subprocess.run(
        sandbox.command(["/bin/bash", "-c", probe], work, "/bin/bash"),
        env=sandbox.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert SECRET not in done.stdout and "reached" not in done.stdout and hits == []
    assert "No such file" in done.stderr and "unreachable" in done.stderr.lower()
    writes = subprocess.run(
        sandbox.command(["/bin/sh", "-c", "echo ok > /work/out; touch /usr/x"], work, "/bin/sh"),
        env=sandbox.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (work / "io" / "out").read_text() == "ok\n" and "Read-only" in writes.stderr


def test_a_zip_bomb_and_a_dtd_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.errors import ValidationFailed

    monkeypatch.setattr(officeclean, "MAX_UNCOMPRESSED", 5 * 1024 * 1024)
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", f'<w:document xmlns:w="{W}"/>')
        z.writestr("word/media/zeros.bin", b"\0" * (6 * 1024 * 1024))  # 6 MB that compress to a few kB
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ValidationFailed) as refused:
        officeclean.clean(bomb, tmp_path / "out.docx", "docx", "bomb.docx")
    assert refused.value.details["reason"] == "too_large" and not (tmp_path / "out.docx").exists()
    laughs = tmp_path / "laughs.docx"
    entities = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(laughs, "w") as z:
        z.writestr(
            "word/document.xml", f'<?xml version="1.0"?>{entities}<w:document xmlns:w="{W}"><w:t>&b;</w:t></w:document>'
        )
    with pytest.raises(ValidationFailed) as refused:
        officeclean.clean(laughs, tmp_path / "out.docx", "docx", "laughs.docx")
    assert "DTD" in refused.value.message


def test_a_sandboxed_conversion_past_its_time_limit_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time limit still ends everything the converter started inside its namespaces."""
    import psutil

    from core.errors import ValidationFailed
    from documents import convert

    fake = tmp_path / "lo" / "soffice"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nsleep 61.25 &\nwait\n")
    fake.chmod(0o755)
    monkeypatch.setattr(convert, "TIMEOUT_SECONDS", 3)
    source = tmp_path / "upload"
    source.write_bytes(docx_field(" PAGE "))
    with pytest.raises(ValidationFailed) as refused:
        convert.to_pdf(source, "docx", soffice=str(fake), filename="to-trinh.docx", sandboxed=True)
    assert "quá 3 giây" in refused.value.message

    def sleepers() -> list[psutil.Process]:
        return [
            p
            for p in psutil.process_iter(["cmdline", "status"])
            if p.info["cmdline"] == ["sleep", "61.25"] and p.info["status"] != psutil.STATUS_ZOMBIE
        ]

    eventually_sync(lambda: not sleepers(), "the converter's `sleep` to end with the time limit", interval=0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lo", "upload"]


def test_without_a_sandbox_a_conversion_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, soffice: str
) -> None:
    """A host where `unshare` cannot run refuses conversions (ECABINET_SOFFICE_SANDBOX=false is the explicit
    way out)."""
    from core.errors import ValidationFailed
    from documents import convert

    source = tmp_path / "upload"
    source.write_bytes(docx_field(" PAGE "))
    monkeypatch.setenv("PATH", str(tmp_path))  # no unshare to be found
    sandbox.available.cache_clear()
    try:
        with pytest.raises(ValidationFailed) as refused:
            convert.to_pdf(source, "docx", soffice=soffice, filename="to-trinh.docx", sandboxed=True)
    finally:
        sandbox.available.cache_clear()
    assert refused.value.details["reason"] == "conversion_unavailable" and "cách ly" in refused.value.message
