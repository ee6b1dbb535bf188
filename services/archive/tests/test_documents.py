"""Documents through the service layer, on the filesystem store and on S3."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext
from libs.common.storage import Digester
from services.archive.documents import intake, service
from services.archive.storage import ArchiveStorage
from services.archive.tests.conftest import LIMITS, actor, in_tenant
from services.archive.tests.support import chunks, upload

MiB = 1024 * 1024


def test_sm3_matches_the_gb_t_32905_vectors() -> None:
    # GB/T 32905-2016 appendix A: "abc" and "abcd" × 16.
    d = Digester()
    d.update(b"abc")
    assert d.digests().sm3 == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    d = Digester()
    d.update(b"abcd" * 16)
    assert d.digests().sm3 == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


@pytest.mark.parametrize(
    ("size", "filename"),
    [
        (0, "empty.pdf"),
        (1, "one.pdf"),
        (5 * MiB, "five.pdf"),
        (5 * MiB + 1, "five-plus-one.pdf"),
        (12 * MiB, "twelve.pdf"),
        (1000, "郁南县政务云项目验收报告（终稿）.pdf"),
    ],
)
async def test_round_trip_keeps_size_sm3_and_sha256(
    sessions: async_sessionmaker[AsyncSession],
    storage: ArchiveStorage,
    size: int,
    filename: str,
) -> None:
    data = os.urandom(size)
    document = await upload(sessions, storage, data, filename=filename)
    version = document["current_version"]
    expected_sm3 = hashlib.new("sm3", data).hexdigest()
    assert (version["size"], version["sha256"], version["sm3"]) == (
        size,
        hashlib.sha256(data).hexdigest(),
        expected_sm3,
    )
    assert version["filename"] == filename
    assert version["retention_mode"] == "COMPLIANCE"
    async with in_tenant(sessions) as session:
        _, obj = await service.get_version(session, document["id"], version["version_id"])
    stream = await service.open_version(storage, obj, None)
    d = Digester()
    async for chunk in stream:
        d.update(chunk)
    got = d.digests()
    assert (got.size, got.sha256, got.sm3) == (size, version["sha256"], expected_sm3)
    if size > 10:
        part = await (await service.open_version(storage, obj, (3, 9))).read_all()
        assert part == data[3:10]


async def test_versions_are_addressed_by_version_id(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    document = await upload(sessions, storage, b"%PDF-1.4 first")
    second = await intake.deposit_version(
        sessions,
        storage,
        ctx=TenantContext.own("445322"),
        access=None,
        document_id=document["id"],
        incoming=intake.Incoming(
            "report-v2.pdf", "application/pdf", chunks(b"%PDF-1.4 second"), LIMITS
        ),
        actor=actor(),
    )
    async with in_tenant(sessions) as session:
        versions = await service.list_versions(session, document["id"])
        assert [v["seq"] for v in versions] == [1, 2]
        first_id = versions[0]["version_id"]
        _, first = await service.get_version(session, document["id"], first_id)
        _, current = await service.get_version(session, document["id"], None)
    assert current.version_id == second["version_id"] != first_id
    assert await (await service.open_version(storage, first, None)).read_all() == b"%PDF-1.4 first"
    assert (
        await (await service.open_version(storage, current, None)).read_all() == b"%PDF-1.4 second"
    )
