"""Outbound channels of the 消息中心: one interface, SMTP e-mail first (docs/notifications.md).

A channel sends one message to one address and raises on failure; the
delivery round (:mod:`.delivery`) decides about retries. A channel is on when
its settings are present: e-mail when ``GOVPROJ_SMTP_HOST`` is set. SMS and
government work apps (粤政易, 浙政钉) are the next adapters: each is one more
class with ``name`` and ``send`` and one more entry in :func:`configured`.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

__all__ = ["Channel", "Outbound", "SmtpChannel", "SmtpSettings", "configured"]


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message as it leaves the platform: the same sentence the console shows."""

    delivery_id: str
    subject: str
    body: str


class Channel(Protocol):
    name: str

    async def send(self, address: str, message: Outbound) -> None:
        """Hand the message over for ``address``; raise when it was not accepted."""
        ...


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "govproj@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """``GOVPROJ_SMTP_HOST`` / ``_PORT`` / ``_FROM`` / ``_USER`` / ``_PASSWORD`` / ``_STARTTLS``;
        None (e-mail off) when no host is set."""
        env = os.environ if env is None else env
        host = env.get("GOVPROJ_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(env.get("GOVPROJ_SMTP_PORT", "25")),
            sender=env.get("GOVPROJ_SMTP_FROM", "govproj@localhost"),
            user=env.get("GOVPROJ_SMTP_USER") or None,
            password=env.get("GOVPROJ_SMTP_PASSWORD") or None,
            starttls=env.get("GOVPROJ_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        )


class SmtpChannel:
    """E-mail through an SMTP relay (the jurisdiction's mail server)."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, address: str, message: Outbound) -> None:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = address
        mail["Subject"] = message.subject
        # One Message-ID per delivery row: a relay that sees it twice can drop the copy.
        mail["Message-ID"] = make_msgid(idstring=message.delivery_id, domain="govproj")
        mail.set_content(message.body)
        await asyncio.to_thread(self._send, mail)

    def _send(self, mail: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.user and s.password:
                smtp.login(s.user, s.password)
            smtp.send_message(mail)


def configured(env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """The channels whose settings are present, by name."""
    channels: dict[str, Channel] = {}
    smtp = SmtpSettings.from_env(env)
    if smtp is not None:
        channels["email"] = SmtpChannel(smtp)
    return channels
