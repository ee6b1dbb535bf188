"""Virus scanning: ClamAV through clamd where a daemon answers; otherwise not run, never pass."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

__all__ = [
    "ClamdScanner",
    "NoScanner",
    "ScanResult",
    "VirusDatabase",
    "VirusScanner",
    "database_of",
    "scanner_from_env",
]

_DEFAULT_SOCKETS = ("/var/run/clamav/clamd.ctl", "/run/clamav/clamd.ctl")


VirusDatabase = Literal["official", "test_only"]


@dataclass(frozen=True, slots=True)
class ScanResult:
    outcome: Literal["pass", "fail", "not_run"]
    detail: str
    #: Which signatures the scan used (None when nothing was scanned); a report
    #: scanned with test signatures only must say so (libs/vocab VIRUS_DATABASES).
    database: VirusDatabase | None = None


def database_of(version_reply: str) -> VirusDatabase:
    """What clamd's VERSION reply says of its signatures.

    With the official database loaded clamd answers ``ClamAV 1.4.6/27480/Thu Dec  3
    09:30:00 2026`` (engine/database version/date); with only local signature
    files, such as the EICAR test signature ``govproj dev up`` writes where the
    machine has no database, it answers ``ClamAV 1.4.6`` (no database version).
    """
    parts = version_reply.strip().split("/")
    official = len(parts) >= 2 and parts[1].strip().isdigit() and int(parts[1]) > 0
    return "official" if official else "test_only"


class VirusScanner(Protocol):
    """Anything that scans a file; it says not_run when it cannot."""

    async def scan(self, path: Path) -> ScanResult: ...


class NoScanner:
    """No scanner configured: every file is not_run."""

    async def scan(self, path: Path) -> ScanResult:
        return ScanResult("not_run", "未配置病毒扫描引擎（ClamAV）")


class ClamdScanner:
    """clamd over its Unix socket or TCP; the file is streamed (INSTREAM), so clamd needs no access to it."""

    def __init__(
        self, *, socket: str | None = None, host: str | None = None, port: int = 3310
    ) -> None:
        self.socket = socket
        self.host = host
        self.port = port

    def _client(self) -> object:
        import clamd

        if self.socket:
            return clamd.ClamdUnixSocket(path=self.socket, timeout=60)
        return clamd.ClamdNetworkSocket(host=self.host or "127.0.0.1", port=self.port, timeout=60)

    def _scan(self, path: Path) -> ScanResult:
        import clamd

        try:
            client = self._client()
            client.ping()  # type: ignore[attr-defined]
            database = database_of(client.version())  # type: ignore[attr-defined]
            with path.open("rb") as src:
                answer = client.instream(src)  # type: ignore[attr-defined]
        except (clamd.ConnectionError, OSError) as exc:
            return ScanResult("not_run", f"病毒扫描引擎不可用：{exc}")
        status, signature = answer.get("stream", ("ERROR", "no answer"))
        if status == "OK":
            return ScanResult("pass", "ClamAV 未发现病毒", database)
        if status == "FOUND":
            return ScanResult("fail", f"ClamAV 发现病毒：{signature}", database)
        return ScanResult("not_run", f"ClamAV 扫描出错：{signature}")

    async def scan(self, path: Path) -> ScanResult:
        return await asyncio.to_thread(self._scan, path)


def scanner_from_env() -> VirusScanner:
    """``GOVPROJ_ARCHIVE_CLAMD_SOCKET`` or ``..._CLAMD_HOST``/``_PORT``; else Debian's socket if present."""
    if sock := os.environ.get("GOVPROJ_ARCHIVE_CLAMD_SOCKET"):
        return ClamdScanner(socket=sock)
    if host := os.environ.get("GOVPROJ_ARCHIVE_CLAMD_HOST"):
        return ClamdScanner(
            host=host, port=int(os.environ.get("GOVPROJ_ARCHIVE_CLAMD_PORT", "3310"))
        )
    for candidate in _DEFAULT_SOCKETS:
        if Path(candidate).exists():
            return ClamdScanner(socket=candidate)
    return NoScanner()
