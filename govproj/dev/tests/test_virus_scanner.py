"""`govproj dev up`'s clamd: the archive's virus check runs, and says which signatures it had."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from govproj.dev.stack import start_virus_scanner
from libs.common.testing.clamd import EICAR, clamd_binary, system_database
from services.archive.checks.scanner import ClamdScanner


def test_dev_clamd_scans_and_names_its_signature_database(tmp_path: Path) -> None:
    if clamd_binary() is None:
        pytest.skip("ClamAV (clamd) is not installed")
    clamd = start_virus_scanner(tmp_path)
    assert clamd is not None, (tmp_path / "clamav" / "clamd.log").read_text(errors="replace")
    try:
        assert clamd.socket.parent == tmp_path / "clamav"  # under $GOVPROJ_HOME
        scanner = ClamdScanner(socket=str(clamd.socket))
        (tmp_path / "clean.txt").write_text("建设方案正文")
        (tmp_path / "eicar.txt").write_bytes(EICAR)
        clean = asyncio.run(scanner.scan(tmp_path / "clean.txt"))
        infected = asyncio.run(scanner.scan(tmp_path / "eicar.txt"))
    finally:
        clamd.stop()
    expected = "official" if system_database() else "test_only"
    assert (clean.outcome, clean.database) == ("pass", expected)
    assert (infected.outcome, infected.database) == ("fail", expected)
    assert "Eicar" in infected.detail
