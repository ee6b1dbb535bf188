"""The service-level database fixture rolls back everything a test wrote, commits included."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.testing.database import in_tenant, migrated_database, rollback_session

registry_db = migrated_database("registry")
db = rollback_session("registry_db")

_UNIT = (
    "INSERT INTO registry.units (id, tenant_id, name, created_at) "
    "VALUES (gen_random_uuid(), '445322', :n, now())"
)


@pytest.mark.parametrize("attempt", [1, 2])
async def test_each_test_starts_from_an_empty_table_even_after_a_commit(
    db: AsyncSession, attempt: int
) -> None:
    await in_tenant(db, "445322")
    assert (await db.execute(text("SELECT count(*) FROM registry.units"))).scalar_one() == 0
    await db.execute(text(_UNIT), {"n": f"测试单位{attempt}"})
    await db.commit()  # service code commits; the fixture turns it into a savepoint release
    await in_tenant(db, "445322")
    assert (await db.execute(text("SELECT count(*) FROM registry.units"))).scalar_one() == 1
