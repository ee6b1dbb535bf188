"""Sampling profiles of bench processes with py-spy, and where their time goes.

``py-spy`` comes from PyPI (``pip install py-spy`` into the venv); without it
the benches run unprofiled. ``record`` samples a running process into collapsed
stacks; ``summary`` reads them back as the share of samples each function is on
the stack for (inclusive), and each module's share of samples at the top of the
stack (self time), which together say where the process spends its time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["available", "record", "summary"]

_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:)]+)(?::\d+)?\)$")


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def available() -> bool:
    return _py_spy() is not None


def record(
    pid: int,
    seconds: float,
    out: Path,
    *,
    rate: int = 200,
    idle: bool = True,
    full_names: bool = True,
) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` for ``seconds`` into ``out``; py-spy's complaints go to ``out``.err.

    By default idle threads are sampled too (waits count) and frames carry full file
    names (:func:`summary` sorts them by library); bench/http_path.py's layers read
    running threads only, under py-spy's short names.
    """
    exe = _py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [exe, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(rate)]
    args += ["--format", "raw", *(["--idle"] if idle else [])]
    args += ["--full-filenames"] if full_names else []
    with errors_of(out).open("wb") as err:  # the child keeps its own handle
        return subprocess.Popen(
            [*args, "--output", str(out)], stdout=subprocess.DEVNULL, stderr=err
        )


def errors_of(out: Path) -> Path:
    """Where :func:`record` leaves what py-spy said on stderr for ``out``."""
    return out.with_name(out.name + ".err")


def _area(file: str) -> str:
    """The library or platform package a frame's file belongs to."""
    if Path(file).name in ("selectors.py", "selector_events.py"):
        return "waiting (event loop in epoll)"
    parts = Path(file).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    for anchor in ("libs", "services", "bench"):
        if anchor in parts:
            i = parts.index(anchor)
            return "/".join(parts[i : i + 3 if anchor != "bench" else i + 1])
    return "python stdlib" if "python3" in file else Path(file).name


def summary(collapsed: Path, top: int = 12) -> dict[str, Any]:
    """Inclusive share per function and self share per area from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    self_area: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if not f.startswith("process ") and "thread" not in f]
        seen = set()
        for frame in frames:
            m = _FRAME.match(frame.strip())
            name = f"{m['func']} ({Path(m['file']).name})" if m else frame.strip()
            if name not in seen:
                seen.add(name)
                inclusive[name] += n
        if frames:
            m = _FRAME.match(frames[-1].strip())
            self_area[_area(m["file"]) if m else "?"] += n
    if not total:
        return {"samples": 0}
    return {
        "samples": total,
        "inclusive": {k: round(v / total, 3) for k, v in inclusive.most_common(top)},
        "self_by_area": {k: round(v / total, 3) for k, v in self_area.most_common(top)},
    }
