"""NATS users: one per service, allowed to publish only its own events.

The stream is the audit trail and other services apply what it says (the
tenant tree, decisions, payments): a service that could publish on another's
subjects could rewrite them (issue 16: a forged
``govproj.445103.registry.tenant.updated`` moved a county under another city).
So each service connects as its own user, whose publish permission covers its
own subjects ``govproj.*.<service>.>`` and the JetStream API it needs, and
nothing else; the server refuses the rest (a permissions violation). The
consumers check the other half (:func:`libs.common.events.forgery`): what
arrives on a service's subjects must carry that service's type and source.

Production (deploy/nats/accounts.conf) has the same users in the PLATFORM
account, with the finance and audit systems in accounts of their own. The
embedded server (``govproj dev up``, the test fixtures) runs one account with
these users plus ``finance`` and ``audit`` (publishing only their answers) and
``operator``: the person or test harness that started the server, who may
publish anything (to play a finance system or inject a message); no service
is ever given it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

from libs.contracts import PRODUCERS

__all__ = [
    "EXTERNAL_USERS",
    "OPERATOR",
    "SERVICE_USERS",
    "NatsUsers",
    "publish_allowed",
    "with_credentials",
]

SERVICE_USERS: Final = PRODUCERS
EXTERNAL_USERS: Final = ("finance", "audit")
OPERATOR: Final = "operator"

# What every client needs besides its own subjects: the JetStream API (streams,
# consumers, fetching), acks, and replies to its own requests (PubAcks).
_CLIENT: Final = ("$JS.API.>", "$JS.ACK.>", "_INBOX.>")


def publish_allowed(user: str) -> tuple[str, ...]:
    """The subjects ``user`` may publish to (the server refuses every other)."""
    if user in SERVICE_USERS:
        return (f"govproj.*.{user}.>", *_CLIENT)
    if user in EXTERNAL_USERS:
        return (f"{user}.>", *_CLIENT)
    if user == OPERATOR:
        return (">",)
    raise ValueError(f"unknown NATS user {user!r}")


def with_credentials(url: str, user: str, password: str) -> str:
    """``url`` with ``user:password@`` (replacing any it had), for ``nats.connect``."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _conf_string(value: str) -> str:
    # nats-server config strings: JSON string syntax is accepted and escapes safely.
    return json.dumps(value)


@dataclass(frozen=True)
class NatsUsers:
    """The embedded server's users and their passwords (random, kept in ``$GOVPROJ_HOME``)."""

    passwords: Mapping[str, str]

    @classmethod
    def generate(cls) -> NatsUsers:
        """Fresh random passwords for every user."""
        names = (*SERVICE_USERS, *EXTERNAL_USERS, OPERATOR)
        return cls({name: secrets.token_urlsafe(24) for name in names})

    @classmethod
    def load_or_create(cls, path: Path) -> NatsUsers:
        """The users saved at ``path`` (so a restart keeps them), else new ones saved there."""
        if path.exists():
            users = cls(json.loads(path.read_text(encoding="utf-8")))
            if set(users.passwords) == {*SERVICE_USERS, *EXTERNAL_USERS, OPERATOR}:
                return users
        users = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by its owner only: these are the keys to the event stream.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dict(users.passwords), out, indent=2)
        return users

    def url(self, base: str, user: str) -> str:
        """``base`` with ``user``'s credentials."""
        return with_credentials(base, user, self.passwords[user])

    def service_env(self, service: str) -> dict[str, str]:
        """The settings a service process needs to connect as itself."""
        prefix = f"GOVPROJ_{service.upper()}_"
        return {
            f"{prefix}NATS_USER": service,
            f"{prefix}NATS_PASSWORD": self.passwords[service],
        }

    def server_config(self) -> str:
        """The nats-server ``authorization`` block with every user and its permissions."""
        lines = ["authorization {", "  users = ["]
        for user, password in self.passwords.items():
            allow = ", ".join(_conf_string(s) for s in publish_allowed(user))
            lines.append(
                f"    {{ user: {_conf_string(user)}, password: {_conf_string(password)}, "
                f"permissions: {{ publish: {{ allow: [{allow}] }} }} }}"
            )
        lines += ["  ]", "}", ""]
        return "\n".join(lines)
