"""The platform's JetStream streams, created or brought up to date at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

__all__ = ["DUPLICATE_WINDOW", "STREAMS", "StreamSpec", "ensure_streams"]

log = logging.getLogger("govproj.events.streams")

# Longer than the relay's retry horizon: a relay that crashed between the
# PubAck and marking its rows sent re-publishes them when it (or its
# replacement) comes back, and the stream must still remember their
# Nats-Msg-Id then. Relays back off to at most 30 s and are restarted within
# minutes by their supervisor; two hours covers a long outage of the relay's
# database as well. Past it, the consumers' inbox is the second line of dedupe.
DUPLICATE_WINDOW: Final = 2 * 60 * 60.0

# The stream is the audit trail that integrators replay: keep a year; the
# finance and audit systems keep their own copies for the statutory periods.
MAX_AGE: Final = 365 * 24 * 60 * 60.0

MAX_MSG_SIZE: Final = 1024 * 1024  # events carry facts, not documents


@dataclass(frozen=True)
class StreamSpec:
    """One stream: its name and the subjects it captures."""

    name: str
    subjects: tuple[str, ...]
    description: str


STREAMS: Final = (
    StreamSpec("GOVPROJ", ("govproj.>",), "GovProj platform events"),
    StreamSpec("FINANCE", ("finance.>",), "Answers of the finance system"),
    StreamSpec("AUDIT", ("audit.>",), "Answers of the audit system"),
)


def _config(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=MAX_AGE,
        max_msg_size=MAX_MSG_SIZE,
        duplicate_window=DUPLICATE_WINDOW,
        num_replicas=replicas,
    )


async def ensure_streams(js: Any, *, replicas: int = 1) -> None:
    """Create the GOVPROJ, FINANCE and AUDIT streams, or update them to this config.

    ``replicas`` is 3 on the production JetStream cluster, 1 on a single server.
    Idempotent: every service may call it at start-up.
    """
    for spec in STREAMS:
        config = _config(spec, replicas)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
            log.info("created stream %s", spec.name)
        else:
            await js.update_stream(config)
