"""The object store behaves the same on the filesystem and on S3: streaming, fixity, locks."""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gmssl import func, sm3

from libs.common.settings import CommonSettings
from libs.common.storage import (
    FilesystemStore,
    InvalidRange,
    ObjectNotFound,
    ObjectStore,
    RetentionViolation,
    S3Store,
    StorageError,
    hash_stream,
    store_from_settings,
)
from libs.common.tests.conftest_storage import bucket, s3_server, store

__all__ = ["bucket", "s3_server", "store"]  # the fixtures this module uses

MiB = 1024 * 1024


def _block(seed: int, size: int = MiB) -> bytes:
    return random.Random(seed).randbytes(size)  # noqa: S311 - reproducible test data, not secrets


async def _chunks(data: bytes, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


async def _read(store: ObjectStore, bkt: str, key: str, version_id: str | None = None) -> bytes:
    async with await store.get(bkt, key, version_id) as stream:
        return await stream.read_all()


def _in_a_day() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


async def test_20_mib_streamed_upload_has_hashlib_sm3_and_sha256(
    store: ObjectStore, bucket: str
) -> None:
    blocks = [_block(i) for i in range(20)]
    expected_sha256, expected_sm3 = hashlib.sha256(), hashlib.new("sm3")
    for b in blocks:
        expected_sha256.update(b)
        expected_sm3.update(b)

    async def source() -> AsyncIterator[bytes]:
        for b in blocks:
            yield b

    stored = await store.put(bucket, "big/20mib.bin", source(), content_type="application/pdf")

    assert stored.size == 20 * MiB
    assert stored.sha256 == expected_sha256.hexdigest()
    assert stored.sm3 == expected_sm3.hexdigest()
    if isinstance(store, S3Store):
        assert stored.etag.endswith("-4")  # four 5 MiB parts: it went multipart
    info = await store.stat(bucket, "big/20mib.bin", stored.version_id)
    assert (info.size, info.content_type) == (20 * MiB, "application/pdf")
    # The bytes read back hash the same (what the archive's fixity check does).
    async with await store.get(bucket, "big/20mib.bin", stored.version_id) as stream:
        again = await hash_stream(stream)
    assert (again.sha256, again.sm3, again.size) == (stored.sha256, stored.sm3, 20 * MiB)


@pytest.mark.parametrize("data", [b"abc", b"", _block(7, 1000)], ids=["abc", "empty", "1000B"])
async def test_sm3_agrees_with_the_gmssl_oracle(
    store: ObjectStore, bucket: str, data: bytes
) -> None:
    stored = await store.put(bucket, "small", io.BytesIO(data))

    assert stored.sm3 == sm3.sm3_hash(func.bytes_to_list(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await _read(store, bucket, "small", stored.version_id) == data


async def test_sm3_of_abc_is_the_standard_test_vector() -> None:
    # GB/T 32905-2016, appendix A.1.
    digests = await hash_stream(io.BytesIO(b"abc"))
    assert digests.sm3 == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


async def test_64_mib_upload_keeps_memory_flat(store: ObjectStore, bucket: str) -> None:
    block = _block(64)

    async def source() -> AsyncIterator[bytes]:
        for i in range(64):
            yield i.to_bytes(4) + block[4:]  # a fresh 1 MiB object each time, as a socket gives

    tracemalloc.start()
    try:
        stored = await store.put(bucket, "flat.bin", source())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert stored.size == 64 * MiB
    assert peak < 20 * MiB, f"peak {peak / MiB:.1f} MiB for a 64 MiB upload"


async def test_second_put_makes_a_new_version_and_both_stay_readable(
    store: ObjectStore, bucket: str
) -> None:
    first = await store.put(bucket, "doc/立项批复.pdf", _chunks(b"first draft"))
    second = await store.put(bucket, "doc/立项批复.pdf", _chunks(b"signed version"))

    assert first.version_id != second.version_id
    assert await _read(store, bucket, "doc/立项批复.pdf", first.version_id) == b"first draft"
    assert await _read(store, bucket, "doc/立项批复.pdf", second.version_id) == b"signed version"
    assert await _read(store, bucket, "doc/立项批复.pdf") == b"signed version"
    assert (await store.stat(bucket, "doc/立项批复.pdf")).version_id == second.version_id
    versions = await store.list_versions(bucket, "doc/")
    assert [(v.version_id, v.is_latest) for v in versions] == [
        (second.version_id, True),
        (first.version_id, False),
    ]


async def test_range_download_returns_exactly_those_bytes(store: ObjectStore, bucket: str) -> None:
    data = b"".join(_block(i) for i in range(3))
    stored = await store.put(bucket, "ranged.bin", io.BytesIO(data))

    async with await store.get(bucket, "ranged.bin", byte_range=(100, 2_000_000)) as stream:
        assert stream.info.size == len(data)
        assert await stream.read_all() == data[100:2_000_001]
    tail = await store.get(
        bucket, "ranged.bin", stored.version_id, byte_range=(len(data) - 10, 10**9)
    )
    assert await tail.read_all() == data[-10:]
    one = await store.get(bucket, "ranged.bin", stored.version_id, byte_range=(5, 5))
    assert await one.read_all() == data[5:6]
    with pytest.raises(InvalidRange):
        await store.get(bucket, "ranged.bin", byte_range=(10, 9))
    with pytest.raises(InvalidRange):
        await store.get(bucket, "ranged.bin", byte_range=(len(data), len(data) + 5))


async def test_compliance_retention_set_after_multipart_upload_is_read_back(
    store: ObjectStore, bucket: str
) -> None:
    stored = await store.put(bucket, "archive/pkg.zip", _chunks(_block(1, 6 * MiB), MiB))
    until = _in_a_day()

    applied = await store.set_retention(bucket, "archive/pkg.zip", stored.version_id, until=until)

    whole_second = until.replace(microsecond=0) + timedelta(seconds=1)
    assert (applied.mode, applied.until) == ("COMPLIANCE", whole_second)
    assert await store.get_retention(bucket, "archive/pkg.zip", stored.version_id) == applied


async def test_retained_version_cannot_be_deleted_and_stays(
    store: ObjectStore, bucket: str
) -> None:
    stored = await store.put(bucket, "kept.txt", _chunks(b"evidence"))
    await store.set_retention(bucket, "kept.txt", stored.version_id, until=_in_a_day())

    with pytest.raises(RetentionViolation, match="COMPLIANCE retention until"):
        await store.delete(bucket, "kept.txt", stored.version_id)

    assert await _read(store, bucket, "kept.txt", stored.version_id) == b"evidence"


async def test_compliance_retention_can_be_extended_but_not_shortened_or_weakened(
    store: ObjectStore, bucket: str
) -> None:
    stored = await store.put(bucket, "locked.txt", _chunks(b"x"))
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    await store.set_retention(bucket, "locked.txt", stored.version_id, until=until)

    with pytest.raises(RetentionViolation, match="cannot be shortened"):
        await store.set_retention(
            bucket, "locked.txt", stored.version_id, until=until - timedelta(days=1)
        )
    with pytest.raises(RetentionViolation, match="cannot change mode"):
        await store.set_retention(
            bucket, "locked.txt", stored.version_id, mode="GOVERNANCE", until=until
        )
    assert (await store.get_retention(bucket, "locked.txt", stored.version_id)).until == until  # type: ignore[union-attr]

    longer = await store.set_retention(
        bucket, "locked.txt", stored.version_id, until=until + timedelta(days=30)
    )
    assert longer.until == until + timedelta(days=30)


async def test_legal_hold_blocks_deletion_until_lifted(store: ObjectStore, bucket: str) -> None:
    stored = await store.put(bucket, "held.txt", _chunks(b"subpoenaed"))
    assert await store.get_legal_hold(bucket, "held.txt", stored.version_id) is False

    await store.set_legal_hold(bucket, "held.txt", stored.version_id, on=True)
    assert await store.get_legal_hold(bucket, "held.txt", stored.version_id) is True
    with pytest.raises(RetentionViolation, match="legal hold"):
        await store.delete(bucket, "held.txt", stored.version_id)

    await store.set_legal_hold(bucket, "held.txt", stored.version_id, on=False)
    assert await store.get_legal_hold(bucket, "held.txt", stored.version_id) is False
    await store.delete(bucket, "held.txt", stored.version_id)
    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "held.txt", stored.version_id)


async def test_deleting_an_unlocked_version_leaves_the_others(
    store: ObjectStore, bucket: str
) -> None:
    first = await store.put(bucket, "draft.txt", _chunks(b"one"))
    second = await store.put(bucket, "draft.txt", _chunks(b"two"))

    await store.delete(bucket, "draft.txt", first.version_id)

    with pytest.raises(ObjectNotFound):
        await store.get(bucket, "draft.txt", first.version_id)
    assert await _read(store, bucket, "draft.txt", second.version_id) == b"two"
    assert [v.version_id for v in await store.list_versions(bucket)] == [second.version_id]


async def test_missing_objects_raise_object_not_found(store: ObjectStore, bucket: str) -> None:
    stored = await store.put(bucket, "present", _chunks(b"here"))
    missing_version = "0190f0a8-0000-7000-8000-000000000000"

    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "absent")
    with pytest.raises(ObjectNotFound):
        await store.get(bucket, "absent")
    with pytest.raises(ObjectNotFound):
        await store.get(bucket, "present", missing_version)
    with pytest.raises(ObjectNotFound):
        await store.delete(bucket, "present", missing_version)
    with pytest.raises(ObjectNotFound):
        await store.get_retention(bucket, "absent", stored.version_id)
    with pytest.raises(ObjectNotFound):
        await store.stat("no-such-bucket-here", "present")
    assert issubclass(ObjectNotFound, StorageError)


async def test_metadata_and_content_type_travel_with_the_version(
    store: ObjectStore, bucket: str
) -> None:
    stored = await store.put(
        bucket,
        "meta.pdf",
        _chunks(b"%PDF-1.7"),
        content_type="application/pdf",
        metadata={"Doc-Id": "445322-2025-0001"},
    )
    info = await store.stat(bucket, "meta.pdf", stored.version_id)
    assert info.content_type == "application/pdf"
    assert info.metadata == {"doc-id": "445322-2025-0001"}
    with pytest.raises(ValueError, match="ASCII"):
        await store.put(bucket, "meta.pdf", _chunks(b"x"), metadata={"title": "批复"})


async def test_upload_from_a_file_object(store: ObjectStore, bucket: str, tmp_path: Path) -> None:
    path = tmp_path / "scan.bin"
    path.write_bytes(_block(3, 7 * MiB))
    with path.open("rb") as src:
        stored = await store.put(bucket, "scan.bin", src)
    assert stored.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert await _read(store, bucket, "scan.bin", stored.version_id) == path.read_bytes()


async def test_a_failing_source_leaves_no_version(store: ObjectStore, bucket: str) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield _block(9, 6 * MiB)
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        await store.put(bucket, "partial.bin", broken())
    assert await store.list_versions(bucket, "partial") == []


async def test_retention_needs_an_aware_future_time(store: ObjectStore, bucket: str) -> None:
    stored = await store.put(bucket, "t.txt", _chunks(b"t"))
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.set_retention(bucket, "t.txt", stored.version_id, until=datetime(2099, 1, 1))
    with pytest.raises(ValueError, match="future"):
        await store.set_retention(
            bucket, "t.txt", stored.version_id, until=datetime.now(UTC) - timedelta(days=1)
        )


async def test_filesystem_keys_cannot_escape_the_bucket(tmp_path: Path) -> None:
    fs = FilesystemStore(tmp_path / "objects")
    await fs.ensure_bucket("escape", object_lock=False)
    stored = await fs.put("escape", "../../outside", _chunks(b"inside"))
    assert await _read(fs, "escape", "../../outside", stored.version_id) == b"inside"
    assert not (tmp_path / "outside").exists()
    assert [v.key for v in await fs.list_versions("escape", "../")] == ["../../outside"]
    with pytest.raises(ValueError, match="bucket"):
        await fs.ensure_bucket("../evil", object_lock=False)
    with pytest.raises(StorageError, match="object lock"):
        await fs.set_retention("escape", "../../outside", stored.version_id, until=_in_a_day())


def test_settings_choose_the_backend(tmp_path: Path) -> None:
    fs = store_from_settings(CommonSettings(storage_root=tmp_path))
    assert isinstance(fs, FilesystemStore) and fs.root == tmp_path
    s3 = store_from_settings(CommonSettings(storage_backend="s3", s3_endpoint="127.0.0.1:9"))
    assert isinstance(s3, S3Store)


async def test_bucket_without_object_lock_refuses_retention_and_an_upgrade(
    store: ObjectStore,
) -> None:
    name = f"plain-{uuid.uuid4().hex[:16]}"
    await store.ensure_bucket(name, object_lock=False)
    await store.ensure_bucket(name, object_lock=False)  # idempotent
    first = await store.put(name, "k", _chunks(b"1"))
    second = await store.put(name, "k", _chunks(b"2"))
    assert first.version_id != second.version_id  # versioned all the same

    with pytest.raises(StorageError, match="object lock"):
        await store.ensure_bucket(name, object_lock=True)
    with pytest.raises(StorageError, match=r"(?i)object lock"):
        await store.set_retention(name, "k", first.version_id, until=_in_a_day())


async def test_a_stream_closed_early_releases_the_object(store: ObjectStore, bucket: str) -> None:
    stored = await store.put(bucket, "early.bin", io.BytesIO(_block(5, 3 * MiB)))
    stream = await store.get(bucket, "early.bin", stored.version_id)
    first = await anext(stream)
    await stream.aclose()
    assert first and await stream.read_all() == b""
    assert await _read(store, bucket, "early.bin", stored.version_id) == _block(5, 3 * MiB)
