"""Signing with a member's own key (the minutes, conclusion notices, poll answers and reports): in a worker
thread, with no transaction open, and wrong signing passwords counted in the login's failure budget
(accounts/passwords.py `counted`, the one helper every typed secret goes through)."""

from __future__ import annotations

from functools import partial
from typing import Any

from accounts import passwords
from core.i18n import N_
from ledger import keystore


async def sign_counted(ctx: Any, user_id: int, sign_pdf: Any) -> bytes:
    """Runs `sign_pdf(store=...)` in a worker thread. Wrong signing passwords share the login's failure budget,
    counted before the (slow) key unsealing."""
    store = keystore.KeyStore.for_data_dir(ctx.settings.data_dir)
    pdf: bytes = await passwords.counted(
        ctx,
        f"sign:{user_id}",
        N_("Nhập sai mật khẩu ký số quá nhiều lần; thử lại sau {seconds} giây."),
        partial(sign_pdf, store=store),
        hash_slot=False,  # the whole signing (PDF, timestamp), not only the unsealing: a plain worker thread
    )
    return pdf
