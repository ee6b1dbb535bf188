"""Run the format checks of one file in a child process with memory, CPU and time limits.

One hostile file must cost one check, never the service (issue 16: an OFD bomb
took the archive from 151 MiB to 4.2 GB, past the chart's 768 MiB, and the
kernel killed it for every tenant). The child
(:mod:`services.archive.checks.inspect`) caps itself with RLIMIT_AS and
RLIMIT_CPU before it imports a parser; the parent kills it at a wall-clock
deadline; at most ``GOVPROJ_ARCHIVE_CHECK_PROCESSES`` children (default 2) run
at once in a process. Whatever happens to the child, the verdict is a clear
``fail`` with a Chinese reason: never an exception, never a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from services.archive.checks.inspect import LIMITS, Limits, MiB

__all__ = ["Inspection", "inspect"]

_ROOT = str(Path(__file__).resolve().parents[3])
_slots: dict[int, asyncio.Semaphore] = {}


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the child said of one file: its format, and whether it opens."""

    format: str | None
    outcome: str  # pass | fail | not_run
    detail: str
    seconds: float


def _slot() -> asyncio.Semaphore:
    # One semaphore per event loop (tests run several loops in one process).
    loop = id(asyncio.get_running_loop())
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(
            int(os.environ.get("GOVPROJ_ARCHIVE_CHECK_PROCESSES", "2"))
        )
    return _slots[loop]


def _killed(returncode: int, stderr: bytes, limits: Limits) -> str:
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"超出检测上限：CPU 时间超过 {limits.cpu_seconds} 秒，检测进程被终止"
    if b"MemoryError" in stderr:
        return f"超出检测上限：内存超过 {limits.address_space // MiB} MiB，检测进程被终止"
    return f"检测进程异常退出（{returncode}），按不通过处理"


async def inspect(path: Path, *, limits: Limits = LIMITS) -> Inspection:
    """Identify ``path`` and open-test it in a limited child process."""
    # A minimal environment: the child parses hostile bytes, and has no business
    # knowing the database URLs or the object store's keys of the service.
    env = {
        **{k: v for k in ("PATH", "LANG", "LC_ALL", "TMPDIR") if (v := os.environ.get(k))},
        "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p),
        "PYTHONDONTWRITEBYTECODE": "1",
        "GOVPROJ_ARCHIVE_CHECK_MEMORY": str(limits.address_space),
        "GOVPROJ_ARCHIVE_CHECK_CPU": str(limits.cpu_seconds),
        "GOVPROJ_ARCHIVE_CHECK_SECONDS": str(limits.seconds),
    }
    async with _slot():
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.archive.checks.inspect",
            str(path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        timed_out = False
        try:
            # The child's own deadline is checked between steps; this one is for a
            # parser stuck inside one step (and the interpreter's start-up).
            out, err = await asyncio.wait_for(proc.communicate(), timeout=limits.seconds + 15)
        except TimeoutError:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            out, err = await proc.communicate()
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        seconds = time.monotonic() - started
    fmt: str | None = None
    opened: list[str] | None = None
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "identify" in record:
            fmt = record["identify"]
        elif "open" in record:
            opened = record["open"]
    if opened is not None and len(opened) == 2:
        return Inspection(fmt, str(opened[0]), str(opened[1]), seconds)
    if timed_out:
        detail = f"超出检测上限：检测超过 {limits.seconds + 15:g} 秒未完成，检测进程被终止"
    else:
        detail = _killed(proc.returncode or 0, err[-4096:], limits)
    return Inspection(fmt, "fail", detail, seconds)
