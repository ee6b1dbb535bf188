"""JetStream durable names: a consumer's name plus the hash of what it listens to.

A JetStream durable keeps its delivery position across a change of its filter
subjects: a subject added to an existing durable is delivered only from that
moment on, so a replica fed by the new subject would never see its history
(the upgrade drill found three such replicas in the upgrade from 0.1.0). The
durable is therefore named after the consumer AND its filter set
(``registry-3f2a9c1b``): when a release changes the set, its consumers bind a
durable that does not exist yet, created with ``DeliverPolicy.ALL``, and replay
the stream over the new set. The inbox is keyed by the consumer's name, which
does not change, so every event applied before is skipped there (one batched
``INSERT … ON CONFLICT DO NOTHING`` per tenant and batch, no handler runs) and
only the events never applied (the new subjects' history) reach a handler.

The previous durables of the consumer (the bare name of 0.1.0, or another
hash) are deleted once the new one exists and nobody pulls from them, so a
replica of the previous release still running during a roll keeps its own.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from typing import Any

from nats.js.errors import NotFoundError

__all__ = ["durable_name", "retire_stale_durables", "stale_durables"]

log = logging.getLogger("govproj.events.consumer")

_HASH_LENGTH = 8


def durable_name(consumer: str, filter_subjects: Sequence[str]) -> str:
    """``<consumer>-<first 8 hex of sha256(sorted filter subjects)>``: order does not matter."""
    digest = hashlib.sha256("\n".join(sorted(set(filter_subjects))).encode()).hexdigest()
    return f"{consumer}-{digest[:_HASH_LENGTH]}"


def stale_durables(consumer: str, current: str, names: Sequence[str]) -> list[str]:
    """Of the durables ``names`` on a stream, those this consumer used before ``current``.

    The bare name (releases up to 0.1.0 named the durable after the consumer)
    and ``<consumer>-<8 hex>`` of another filter set; never another consumer's.
    """
    pattern = re.compile(rf"{re.escape(consumer)}(-[0-9a-f]{{{_HASH_LENGTH}}})?")
    return sorted(n for n in names if n != current and pattern.fullmatch(n))


async def retire_stale_durables(js: Any, stream: str, consumer: str, current: str) -> list[str]:
    """Delete the consumer's previous durables that nobody is pulling from; returns their names.

    A durable with waiting pull requests still serves a replica of an earlier
    release (a rolling upgrade): it is left alone and retired at a later call.
    Deleting it anyway would be safe (the old replica re-creates it and its
    inbox skips the replay) but would cost a replay of the stream each time.
    """
    names = [info.name for info in await js.consumers_info(stream)]
    retired = []
    for name in stale_durables(consumer, current, names):
        try:
            info = await js.consumer_info(stream, name)
            if info.num_waiting:
                continue
            await js.delete_consumer(stream, name)
        except NotFoundError:
            continue  # another replica of this release retired it first
        log.info("consumer %s: retired durable %s/%s (now %s)", consumer, stream, name, current)
        retired.append(name)
    return retired
