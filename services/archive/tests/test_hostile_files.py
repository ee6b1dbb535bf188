"""四性检测 on hostile files: bombs and pathological XML cost one bounded check, never the service."""

from __future__ import annotations

import resource
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.archive.checks.inspect import Limits, MiB
from services.archive.checks.sandbox import inspect
from services.archive.storage import ArchiveStorage
from services.archive.tests import samples
from services.archive.tests.conftest import in_tenant
from services.archive.tests.support import CleanScanner, project_with, result, transfer_check

FILESYSTEM = pytest.mark.parametrize("store", ["filesystem"], indirect=True)


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


# Runs the open test as the sandbox does and reports that child's peak RSS alone: this
# process's RUSAGE_CHILDREN holds the largest child the whole suite ever waited for
# (a service that rendered PDFs, a browser), not the parser's.
_PEAK_PROBE = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "services.archive.checks.inspect", sys.argv[1]],
               stdin=subprocess.DEVNULL, capture_output=True, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""


def _inspecting_child_peak_mib(data: bytes, tmp_path: Path) -> int:
    sample = tmp_path / "sample.xml"
    sample.write_bytes(data)
    root = Path(__file__).resolve().parents[3]
    probe = subprocess.run(
        [sys.executable, "-c", _PEAK_PROBE, str(sample)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        timeout=120,
    )
    return int(probe.stdout.strip())


async def _open_test_of(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage, name: str, data: bytes
) -> tuple[dict[str, object], float, int]:
    _, package = await project_with(sessions, storage, [(name, data)])
    before = _peak_mib()
    started = time.monotonic()
    async with in_tenant(sessions) as session:
        report = await transfer_check(session, storage, CleanScanner(), package)
    opened = result(report, "USAB-02")
    return opened["details"][0], time.monotonic() - started, _peak_mib() - before


@FILESYSTEM
async def test_ofd_bomb_fails_its_check_without_growing_the_service(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    # 897 bytes on the wire, 1 GiB once OFD.xml is inflated (before: 14 s and 2.1 GB).
    detail, seconds, grew = await _open_test_of(sessions, storage, "炸弹.ofd", samples.ofd_bomb())
    assert detail["outcome"] == "fail"
    assert "超出检测上限" in str(detail["detail"]) and "OFD.xml" in str(detail["detail"])
    assert seconds < 10
    assert grew < 64, f"the service grew by {grew} MiB"


@FILESYSTEM
async def test_one_long_xml_attribute_is_parsed_in_bounded_time_and_memory(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage, tmp_path: Path
) -> None:
    # expat 2.5.0 (CVE-2023-52425): 64 MiB fed in 64 KiB pieces took 83 s and the tree 1 GB.
    data = samples.xml_long_attribute(64 * MiB)
    # CPU seconds, not wall time: the machine is shared, and a loaded one stretches both
    # versions alike (unloaded: 34 s of the service's CPU before, 2.8 s in a child after).
    service_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    child_cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    detail, _, grew = await _open_test_of(sessions, storage, "长属性.xml", data)
    assert detail["outcome"] == "pass", detail
    assert resource.getrusage(resource.RUSAGE_SELF).ru_utime - service_cpu < 10
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - child_cpu < 15
    assert grew < 64, f"the service grew by {grew} MiB"
    assert _inspecting_child_peak_mib(data, tmp_path) < 512


@FILESYSTEM
async def test_huge_declared_image_dimensions_fail_the_open_test(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 200_000, 200_000, 8, 0, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    detail, _, _ = await _open_test_of(sessions, storage, "巨幅.png", png)
    assert detail["outcome"] == "fail"
    assert "200000×200000" in str(detail["detail"])


async def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_bytes(samples.xml_entities())
    found = await inspect(path)
    assert (found.format, found.outcome) == ("xml", "fail")
    assert "实体声明" in found.detail


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (Limits(address_space=160 * MiB), "内存超过 160 MiB"),
        (Limits(cpu_seconds=1), "CPU 时间超过 1 秒"),
        (Limits(seconds=0.3), "超过 0.3 秒"),
    ],
)
async def test_the_process_caps_turn_into_a_failed_check(
    tmp_path: Path, limits: Limits, reason: str
) -> None:
    path = tmp_path / "attr.xml"
    path.write_bytes(samples.xml_long_attribute(64 * MiB))
    found = await inspect(path, limits=limits)
    assert found.outcome == "fail"
    assert reason in found.detail, found.detail


async def test_good_files_still_pass(tmp_path: Path) -> None:
    for name, data, fmt in (
        ("a.pdf", samples.pdf(), "pdf"),
        ("a.ofd", samples.ofd(), "ofd"),
        ("a.png", samples.png(), "png"),
    ):
        (tmp_path / name).write_bytes(data)
        found = await inspect(tmp_path / name)
        assert (found.format, found.outcome) == (fmt, "pass"), found
