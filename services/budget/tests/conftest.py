"""Service-level fixtures: a migrated budget database, a rolled-back session per test, one app.

``db`` is an :class:`AsyncSession` on the application role (row-level security
applies) inside a transaction rolled back after the test. ``api`` calls the
budget app in-process (``httpx.ASGITransport``) with real tokens from the
development issuer, each request in a savepoint of that same transaction: a
request that fails leaves nothing, as its rolled-back transaction would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import CurrentSubject
from libs.common.db import apply_tenant_context
from libs.common.policies import install_policies
from libs.common.service import db_session, tenant_context_of
from libs.common.settings import service_settings
from libs.common.testing.database import migrated_database, rollback_session
from libs.common.testing.issuer import running_issuer
from services.budget.app import create_app
from services.budget.tests.client import Api, StaticTree
from services.budget.tests.factories import CITY, SIBLING, YUNAN

service_db = migrated_database("budget")
db = rollback_session("service_db")


@pytest.fixture(scope="session")
def issuer(infra_tmp: Path) -> Iterator[tuple[Path, str]]:
    """The development OIDC issuer: its home (signing key) and URL."""
    home = infra_tmp / "budget-issuer"
    home.mkdir(exist_ok=True)
    with running_issuer(home) as url:
        yield home, url


@pytest.fixture(scope="session")
def budget_app(issuer: tuple[Path, str]) -> FastAPI:
    """The budget app without its lifespan: no NATS, no workers; the tests provide the rest."""
    settings = service_settings("budget").model_copy(update={"oidc_issuer": issuer[1]})
    app = create_app(settings, run_workers=False, check_schema=False)
    install_policies(app, settings)
    # 云浮市 oversees 郁南 and 新兴 (the registry's tree, as the replica would hold it).
    app.state.tenant_tree = StaticTree({CITY: frozenset({YUNAN, SIBLING})})
    return app


@pytest.fixture
async def api(
    budget_app: FastAPI, db: AsyncSession, issuer: tuple[Path, str]
) -> AsyncIterator[Api]:
    async def session(subject: CurrentSubject) -> AsyncIterator[AsyncSession]:
        await apply_tenant_context(db, tenant_context_of(subject))
        savepoint = await db.begin_nested()
        try:
            yield db
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()

    budget_app.dependency_overrides[db_session] = session
    try:
        yield Api(budget_app, home=issuer[0], issuer=issuer[1])
    finally:
        budget_app.dependency_overrides.clear()
