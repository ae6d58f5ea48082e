"""Signing with a member's own key (the minutes, conclusion notices, poll answers and reports): in a worker
thread, with no transaction open, and wrong signing passwords counted in the login's failure budget."""

from __future__ import annotations

from functools import partial
from typing import Any

from anyio import to_thread

from core.errors import Forbidden
from core.i18n import N_
from ledger import keystore


async def sign_counted(ctx: Any, user_id: int, sign_pdf: Any) -> bytes:
    """Runs `sign_pdf(store=...)` in a worker thread. Wrong signing passwords share the login's failure budget,
    counted before the (slow) key unsealing."""
    store = keystore.KeyStore.for_data_dir(ctx.settings.data_dir)
    key = f"sign:{user_id}"
    attempt = await ctx.login_limiter.reserve(
        {key: ctx.settings.login_max_failures}, N_("Nhập sai mật khẩu ký số quá nhiều lần; thử lại sau {seconds} giây.")
    )
    try:
        pdf: bytes = await to_thread.run_sync(partial(sign_pdf, store=store))
    except Forbidden:
        raise  # a wrong password: stays counted
    except BaseException:
        await attempt.release()
        raise
    await attempt.release()
    await ctx.login_limiter.clear(key)
    return pdf
