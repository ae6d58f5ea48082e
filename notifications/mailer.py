"""Sends the queued notification e-mails (notification_mail) through ECABINET_SMTP_URL, off the request path.

One loop per process: it wakes when a notify job queued mails, and otherwise when the next retry is due (at
most a minute apart, so mails queued by another node or left by a restart go out too). A mail is leased
before it is sent (two nodes never send it at once) and marked sent after the server accepted it; a failure
is recorded on the row with the next try (notifications/services.py mark_failed), for ever: the row stays
until it is sent, across restarts. The SMTP conversation itself runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from infra.background import Loop
from infra.context import AppContext
from core.clock import utcnow
from notifications import services

log = logging.getLogger("ecabinet.mail")
BATCH = 20
LEASE = 120.0
IDLE = 60.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False
    user: str = ""
    password: str = ""

    @classmethod
    def parse(cls, url: str) -> "SmtpServer | None":
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("ECABINET_SMTP_URL phải có dạng smtp://máy:cổng hoặc smtps://máy:cổng")
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["0"])[0] in ("1", "true"),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )

    def shown(self) -> str:
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


def message(mail: dict[str, Any], sender: str) -> EmailMessage:
    """The e-mail: UTF-8 body, the subject as RFC 2047 encoded-words, a stable Message-ID per notification (a
    resend after a lost answer is recognisably the same mail).

    The subject is encoded here and stored raw: the default policy's folding drops the space between an
    encoded-word and the next one when it splits a long Vietnamese subject ("nghiệm ngân" read back as
    "nghiệmngân"); Header encodes the whole text, spaces included, in words of at most 76 characters.
    Always, an all-ASCII subject too: set as it is, a title holding "=?utf-8?b?...?=" would be decoded by the
    reader's mail program into other text; encoded, that text reads back literally. The other headers hold no
    user text (From: the settings; To: an address checked by notifications.services.EMAIL)."""
    msg = EmailMessage()
    msg.set_raw("Subject", Header(mail["subject"], "utf-8", header_name="Subject").encode())
    msg["From"] = sender
    msg["To"] = mail["to"]
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=f"notification-{mail['id']}", domain="ecabinet")
    msg.set_content(mail["body"])
    return msg


def send(server: SmtpServer, msg: EmailMessage, timeout: float = 15.0) -> None:
    if server.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.starttls:
            client.starttls(context=ssl.create_default_context())
        if server.user:
            client.login(server.user, server.password)
        client.send_message(msg)


class Mailer(Loop):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.server = SmtpServer.parse(ctx.settings.smtp_url)
        self.woken = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return self.server is not None

    def wake(self) -> None:
        self.woken.set()

    async def start(self) -> None:
        if self.server is None:
            log.warning(
                "ECABINET_SMTP_URL chưa được đặt: thông báo chỉ hiển thị trong ứng dụng, không gửi thư điện tử."
            )
            return
        log.info("Thông báo được gửi thư điện tử qua %s", self.server.shown())
        await super().start()

    async def run(self) -> None:
        while True:
            self.woken.clear()
            try:
                wait = await self.send_due()
            except Exception:
                log.exception("gửi thư thông báo: lỗi khi đọc hàng đợi")
                wait = self.ctx.settings.mail_retry_seconds
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.woken.wait(), timeout=max(wait, 0.05))

    async def send_due(self) -> float:
        """Send what is due; the seconds until the next try (IDLE when nothing waits)."""
        assert self.server is not None
        db = self.ctx.db
        while True:
            batch = (await db.write(services.claim_due, now=utcnow(), limit=BATCH, lease=LEASE)).result
            for mail in batch:
                try:
                    await asyncio.to_thread(send, self.server, message(mail, self.ctx.settings.smtp_from))
                except (OSError, smtplib.SMTPException) as exc:
                    log.warning("thư thông báo %s chưa gửi được (lần %s): %s", mail["id"], mail["attempts"] + 1, exc)
                    await db.write(
                        services.mark_failed,
                        mail_id=mail["id"],
                        error=str(exc) or type(exc).__name__,
                        base=self.ctx.settings.mail_retry_seconds,
                    )
                else:
                    await db.write(services.mark_sent, mail_id=mail["id"])
            if len(batch) < BATCH:
                break
        due = await db.read(services.next_due)
        return IDLE if due is None else min(IDLE, max((due - utcnow()).total_seconds(), 0.05))
