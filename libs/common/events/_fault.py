"""Fault injection for crash tests: the process kills itself at a named point.

Set ``GOVPROJ_FAULT`` in a worker's environment to one of the points below and
the worker SIGKILLs itself there, exactly where a power cut or an OOM kill
would hurt most. It is read from the environment only (no API can arm it),
and is never set in production.

``relay_after_publish``
    after JetStream acknowledged a batch, before the relay marks it sent.
``consumer_after_commit``
    after the consumer committed the effects, before it acks the messages.
"""

from __future__ import annotations

import os
import signal
from typing import Final, Literal

__all__ = ["FAULT_ENV", "FaultPoint", "crash_if_armed"]

FAULT_ENV: Final = "GOVPROJ_FAULT"
FaultPoint = Literal["relay_after_publish", "consumer_after_commit"]


def crash_if_armed(point: FaultPoint) -> None:
    """SIGKILL this process when ``GOVPROJ_FAULT`` names ``point``."""
    if os.environ.get(FAULT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
