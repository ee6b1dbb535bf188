"""A ClamAV daemon of our own for tests, benchmarks and ``govproj dev up`` (the archive's virus-scan check).

It loads the machine's signature database when there is one (``freshclam``
fills /var/lib/clamav); otherwise one signature, the EICAR test file by hash,
so no signature download is needed (the machines here reach no ClamAV mirror).
clamd then answers VERSION without a database version, and the archive marks
every report scanned so (services/archive/checks/scanner.py). Debian's
``clamav-daemon`` is installed by scripts/bootstrap.sh where it may be (root + apt).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from libs.common.testing.processes import stop_process

__all__ = [
    "EICAR",
    "SYSTEM_DATABASE",
    "ClamdProcess",
    "clamd_binary",
    "start_clamd",
    "system_database",
]

#: Where Debian's freshclam keeps the official signature database.
SYSTEM_DATABASE: Final = Path("/var/lib/clamav")
_SIGNATURE_FILES: Final = ("*.cvd", "*.cld", "*.cud")

#: The standard anti-virus test file (eicar.org): every scanner must flag it.
EICAR: Final = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def clamd_binary() -> str | None:
    """Where clamd is, or None (Debian puts it in /usr/sbin, often not on PATH)."""
    found = shutil.which("clamd")
    if found is None and Path("/usr/sbin/clamd").exists():
        found = "/usr/sbin/clamd"
    return found


def system_database(directory: Path = SYSTEM_DATABASE) -> Path | None:
    """``directory`` if it holds a signature database (main/daily .cvd/.cld), else None."""
    if not directory.is_dir():
        return None
    found = any(next(directory.glob(pattern), None) for pattern in _SIGNATURE_FILES)
    return directory if found else None


@dataclass
class ClamdProcess:
    """A running clamd listening on ``socket``."""

    proc: subprocess.Popen[bytes]
    socket: Path

    def stop(self) -> None:
        stop_process(self.proc)


def start_clamd(
    root: Path, *, database: Path | None = None, timeout: float | None = None
) -> ClamdProcess | None:
    """Start clamd under ``root`` with ``database`` (else the EICAR test signature in
    ``root/db``); None when it is not installed or its socket did not appear in time
    (30 s with the test signature, 180 s to load a full database)."""
    binary = clamd_binary()
    if binary is None:
        return None
    root.mkdir(parents=True, exist_ok=True)
    if database is None:
        database = root / "db"
        database.mkdir(exist_ok=True)
        digest = hashlib.md5(EICAR).hexdigest()  # noqa: S324 - ClamAV's hash signature format
        (database / "eicar.hdb").write_text(f"{digest}:{len(EICAR)}:Eicar-Test-Signature\n")
    timeout = timeout or (30.0 if database == root / "db" else 180.0)
    sock = root / "clamd.sock"
    sock.unlink(missing_ok=True)  # left by a clamd that was killed
    # Run as root, clamd would switch to its own user unless told to stay.
    user = "User root\n" if os.geteuid() == 0 else ""
    (root / "clamd.conf").write_text(
        f"Foreground yes\nLocalSocket {sock}\nDatabaseDirectory {database}\n"
        f"LogFile {root / 'clamd.log'}\n{user}"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(root / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own session: a Ctrl-C on `govproj dev up` stops the stack in order.
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while not sock.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    running = ClamdProcess(proc, sock)
    if not sock.exists():
        running.stop()
        return None
    return running
