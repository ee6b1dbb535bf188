"""Ending a child process the tests or benches started (no other import: every helper uses it)."""

from __future__ import annotations

import subprocess
from typing import Any

__all__ = ["stop_process"]


def stop_process(proc: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """SIGTERM ``proc`` and wait ``grace`` seconds for it; SIGKILL it if it is still running.

    It is reaped either way, so no zombie outlives the fixture that started it.
    """
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
