"""Service-level fixtures: a migrated archive database, and archive storage on both backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
from libs.common.db.migrations import upgrade
from libs.common.storage import ObjectStore
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database
from libs.common.tests.conftest_storage import s3_server, store
from services.archive.limits import UploadLimits
from services.archive.models import Project
from services.archive.storage import ArchiveStorage

__all__ = ["s3_server", "store"]

COUNTY = "445322"
OTHER_COUNTY = "445321"


@pytest.fixture(scope="session")
def archive_db(postgres_admin_url: str) -> DatabaseUrls:
    urls = make_database(postgres_admin_url)
    upgrade("archive", urls.owner)
    return urls


@pytest.fixture(scope="session")
async def sessions(archive_db: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(archive_db.app, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def storage(store: ObjectStore) -> ArchiveStorage:
    """Archive storage with a bucket prefix of its own, so tests never share buckets."""
    return ArchiveStorage(store, bucket_prefix=f"t{uuid.uuid4().hex[:10]}-")


def actor(tenant: str = COUNTY) -> dict[str, Any]:
    return {"type": "user", "id": f"tester@{tenant}", "name": "测试", "tenant": tenant, "roles": []}


def in_tenant(sessions: async_sessionmaker[AsyncSession], tenant: str = COUNTY) -> Any:
    return transaction(sessions, TenantContext.own(tenant))


#: Limits for service-level tests (the HTTP tests use the environment's).
LIMITS = UploadLimits(max_bytes=64 * 1024 * 1024 * 1024, read_timeout=30)


async def make_project(
    sessions: async_sessionmaker[AsyncSession],
    tenant: str = COUNTY,
    *,
    unit_id: uuid.UUID | None = None,
    name: str = "郁南县政务云扩容项目",
) -> uuid.UUID:
    """A project in the archive's replica, as the registry's events would have made it."""
    project_id = uuid.uuid4()
    async with in_tenant(sessions, tenant) as session:
        session.add(
            Project(
                id=project_id,
                tenant_id=tenant,
                unit_id=unit_id or uuid.uuid4(),
                name=name,
                state="implementing",
                version=1,
                updated_at=datetime.now(UTC),
            )
        )
    return project_id
