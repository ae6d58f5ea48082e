"""Signing a voter's answer sheet and the Government Office's summary report with the signer's own key, and the
chair's decision confirmed with his: the minutes' PAdES machinery (minutes/signing.py, ledger/keystore.py), run in
a worker thread, with wrong passwords counted in the same failure budget as the login and the minutes'
signatures."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from core.actor import Actor
from infra.context import AppContext
from documents import storage
from minutes.counted import sign_counted


async def sign(
    ctx: AppContext,
    actor: Actor,
    pdf: bytes,
    *,
    password: str,
    field_name: str,
    reason: str,
    title: str,
    signed_at: datetime,
) -> bytes:
    from minutes import signing

    return await sign_counted(
        ctx,
        actor.id,
        partial(
            signing.sign_pdf,
            pdf,
            user_id=actor.username,
            password=password,
            field_name=field_name,
            reason=reason,
            location="Hà Nội",
            signer_name=actor.full_name,
            signer_title=title,
            stamp_name="",  # the report prints the name below the signature field (NĐ 30: once)
            signed_at=signed_at,
            tz=ctx.settings.timezone,
        ),
    )


async def confirm(ctx: AppContext, user_id: int, username: str, password: str) -> None:
    """The signing password opens the user's signing key (Forbidden when wrong, Conflict when he has none), counted
    in the budget of his signatures ("sign:<id>", minutes/counted.py): an act confirmed as a signature is."""
    from accounts import passwords
    from core.i18n import N_
    from ledger import keystore

    store = keystore.KeyStore.for_data_dir(ctx.settings.data_dir)
    await passwords.counted(
        ctx,
        f"sign:{user_id}",
        N_("Nhập sai mật khẩu ký số quá nhiều lần; thử lại sau {seconds} giây."),
        partial(store.unseal_pkcs12, username, password),
    )


def keep(data_dir: Path, pdf: bytes) -> str:
    """Into the content-addressed file store (documents/storage.py); answers the SHA-256."""
    tmp = storage.new_tmp_path(data_dir, ".pdf")
    tmp.write_bytes(pdf)
    return storage.put(data_dir, tmp)[0]


def read(data_dir: Path, sha256: str) -> bytes:
    return storage.blob_path(data_dir, sha256).read_bytes()


def verify_sheet(data_dir: Path, pdf: bytes, expected_digest: str) -> dict[str, Any]:
    """Is this signed sheet intact, trusted, and does it say what is stored (its Subject names the digest)?"""
    import io

    import pikepdf

    from ledger import keystore
    from minutes import signing

    report = signing.verify_pdf(pdf, keystore.KeyStore.for_data_dir(data_dir).trusted_roots())
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        subject = str(doc.docinfo.get("/Subject", ""))
    return {
        "verdict": report.verdict,
        "ok": report.ok and subject == f"poll-sheet:{expected_digest}",
        "signer": report.signatures[0].signer_name if report.signatures else None,
        "matches": subject == f"poll-sheet:{expected_digest}",
    }
