"""An upload's Idempotency-Key: claimed before the body is read, answered with the rows, freed on failure."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext
from libs.common.errors import Problem
from services.archive.documents.intake import UploadKey
from services.archive.tests.conftest import COUNTY, OTHER_COUNTY, in_tenant

HOUR = timedelta(hours=1)


def _key(
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    *,
    tenant: str = COUNTY,
    stale: timedelta = HOUR,
) -> UploadKey:
    return UploadKey(sessions, TenantContext.own(tenant), key, stale=stale)


async def test_a_key_in_use_is_409_until_its_upload_answers_then_it_replays(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    key = str(uuid.uuid4())
    first = _key(sessions, key)
    assert await first.begin() is None  # the first upload with the key runs
    with pytest.raises(Problem) as busy:
        await _key(sessions, key).begin()
    assert busy.value.status == 409 and busy.value.code == "idempotency_in_progress"
    assert busy.value.title == "同一幂等键的上传正在处理中"
    # Another tenant's key of the same text is its own.
    assert await _key(sessions, key, tenant=OTHER_COUNTY).begin() is None

    async with in_tenant(sessions) as session:
        await first.finish(
            session, fingerprint="f" * 64, body={"id": "doc"}, location="/documents/doc"
        )
    earlier = await _key(sessions, key).begin()
    assert earlier is not None
    assert earlier["status_code"] == 201 and earlier["response"] == {"id": "doc"}
    assert earlier["fingerprint"] == "f" * 64 and earlier["location"] == "/documents/doc"


async def test_a_failed_upload_frees_its_key_and_an_answered_one_keeps_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    key = str(uuid.uuid4())
    failed = _key(sessions, key)
    assert await failed.begin() is None
    await failed.release()
    retry = _key(sessions, key)
    assert await retry.begin() is None  # runs again, not 409
    async with in_tenant(sessions) as session:
        await retry.finish(session, fingerprint="a" * 64, body={"n": 1}, location="/d/1")
    await retry.release()  # after the answer: nothing to free
    earlier = await _key(sessions, key).begin()
    assert earlier is not None and earlier["response"] == {"n": 1}


async def test_an_upload_that_died_half_way_gives_up_its_key_once_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    key = str(uuid.uuid4())
    assert await _key(sessions, key).begin() is None  # never answered nor released
    taker = _key(sessions, key, stale=timedelta(0))
    assert await taker.begin() is None  # taken over
    async with in_tenant(sessions) as session:
        await taker.finish(session, fingerprint="b" * 64, body={"n": 2}, location="/d/2")
    earlier = await _key(sessions, key).begin()
    assert earlier is not None and earlier["response"] == {"n": 2}


async def test_an_upload_without_a_key_is_never_held(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    bare = UploadKey(sessions, TenantContext.own(COUNTY), None, stale=HOUR)
    assert await bare.begin() is None
    assert await bare.begin() is None
    await bare.release()
