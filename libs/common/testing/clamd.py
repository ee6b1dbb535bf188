"""A ClamAV daemon of our own for tests and benchmarks (the archive's virus-scan check).

One signature, the EICAR test file by hash, so no signature download is needed
(the machines here reach no ClamAV mirror). Debian's ``clamav-daemon`` is
installed by scripts/bootstrap.sh where it may be (root + apt).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["EICAR", "ClamdProcess", "clamd_binary", "start_clamd"]

#: The standard anti-virus test file (eicar.org): every scanner must flag it.
EICAR: Final = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def clamd_binary() -> str | None:
    """Where clamd is, or None (Debian puts it in /usr/sbin, often not on PATH)."""
    found = shutil.which("clamd")
    if found is None and Path("/usr/sbin/clamd").exists():
        found = "/usr/sbin/clamd"
    return found


@dataclass
class ClamdProcess:
    """A running clamd listening on ``socket``."""

    proc: subprocess.Popen[bytes]
    socket: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_clamd(root: Path, *, timeout: float = 30.0) -> ClamdProcess | None:
    """Start clamd under ``root`` with the EICAR signature; None when it is not installed
    or its socket did not appear within ``timeout`` seconds."""
    binary = clamd_binary()
    if binary is None:
        return None
    (root / "db").mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5(EICAR).hexdigest()  # noqa: S324 - ClamAV's hash signature format
    (root / "db" / "eicar.hdb").write_text(f"{digest}:{len(EICAR)}:Eicar-Test-Signature\n")
    sock = root / "clamd.sock"
    (root / "clamd.conf").write_text(
        f"Foreground yes\nLocalSocket {sock}\nDatabaseDirectory {root / 'db'}\n"
        f"LogFile {root / 'clamd.log'}\nUser root\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(root / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    running = ClamdProcess(proc, sock)
    if not sock.exists():
        running.stop()
        return None
    return running
