"""A real SMTP server in the test process (aiosmtpd, its own thread): what arrived, parsed as a mail client would."""

from __future__ import annotations

import asyncio
from typing import Any
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    to: list[str]
    raw: bytes
    msg: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.msg["Subject"])

    @property
    def body(self) -> str:
        return self.msg.get_content()


class Inbox:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mails: list[Received] = []
        self.changed = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # aiosmtpd's untyped Envelope
        raw = envelope.original_content or envelope.content
        msg = message_from_bytes(raw, policy=policy.default)
        with self.changed:
            self.mails.append(Received(list(envelope.rcpt_tos), raw, msg))
            self.changed.notify_all()
        return "250 OK"

    def start(self) -> "Inbox":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def wait_for(self, n: int, timeout: float = 20) -> list[Received]:
        """At least n mails (awaited in a thread: the server's thread notifies)."""

        def wait() -> list[Received]:
            with self.changed:
                assert self.changed.wait_for(lambda: len(self.mails) >= n, timeout), (
                    f"{len(self.mails)} of {n} mails arrived"
                )
                return list(self.mails)

        return await asyncio.to_thread(wait)
