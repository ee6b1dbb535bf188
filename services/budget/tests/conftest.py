"""Service-level fixtures: a migrated budget database, a rolled-back session per test, one app.

``db`` is an :class:`AsyncSession` on the application role (row-level security
applies) inside a transaction rolled back after the test. ``api`` calls the
budget app in-process (``httpx.ASGITransport``) as a given person, each request
in a savepoint of that same transaction: a request that fails leaves nothing,
as its rolled-back transaction would in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject, current_subject
from libs.common.db import apply_tenant_context
from libs.common.policies import install_policies
from libs.common.service import db_session, tenant_context_of
from libs.common.settings import service_settings
from libs.common.testing.database import migrated_database, rollback_session
from services.budget.app import create_app
from services.budget.tests.client import Api

service_db = migrated_database("budget")
db = rollback_session("service_db")


@pytest.fixture(scope="session")
def budget_app() -> FastAPI:
    """The budget app without its lifespan: no NATS, no workers; the tests provide the rest."""
    settings = service_settings("budget")
    app = create_app(settings, run_workers=False, check_schema=False)
    install_policies(app, settings)
    return app


@pytest.fixture
async def api(budget_app: FastAPI, db: AsyncSession) -> AsyncIterator[Api]:
    calls = Api(budget_app, db)

    def subject() -> AuthSubject:
        assert calls.who is not None
        return calls.who

    async def session() -> AsyncIterator[AsyncSession]:
        await apply_tenant_context(db, tenant_context_of(subject()))
        savepoint = await db.begin_nested()
        try:
            yield db
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()

    budget_app.dependency_overrides[current_subject] = subject
    budget_app.dependency_overrides[db_session] = session
    try:
        yield calls
    finally:
        budget_app.dependency_overrides.clear()
