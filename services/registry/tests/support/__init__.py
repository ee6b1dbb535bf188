"""Factories and the in-process app for the registry's service-level and API tests.

Data comes from small async factories writing through the service code (polar's
``tests/fixtures/random_objects.py`` habit), inside the test's rolled-back
transaction; the API tests call one app through ``httpx.ASGITransport`` with
real tokens from the development issuer, on that same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govproj.dev.demo import DEMO_TENANTS
from govproj.dev.issuer import create_issuer_app, mint_token
from libs.common.auth import CurrentSubject, install_auth
from libs.common.db import apply_tenant_context
from libs.common.policies import policies_in
from libs.common.service import db_reads, db_session, session_reads, tenant_context_of
from libs.common.settings import ServiceSettings
from libs.common.tenants import CachedTenantTree
from libs.common.testing.database import in_tenant
from libs.policy import PolicyRegistry
from services.registry.app import create_app
from services.registry.models import Project, Unit, documents, tenants
from services.registry.projects import service as projects
from services.registry.projects.schemas import ProjectCreate
from services.registry.units import service as units

YUNAN, XIANGQIAO, CHAOAN, CHAOZHOU = "445322", "445102", "445103", "445100"
ISSUER = "http://issuer.test"
SOFTWARE = {"project_class": "professional", "service_types": ["software_development"]}
# Far enough ahead that every pack's demand window (Yunan: 11-30 of the year before) is open.
PLAN_YEAR = date.today().year + 2


def actor(tenant: str = YUNAN, user: str = "tester") -> dict[str, Any]:
    return {"type": "user", "id": user, "name": "测试", "tenant": tenant, "roles": []}


def policies() -> PolicyRegistry:
    return policies_in(ServiceSettings())


async def seed_tree(db: AsyncSession) -> None:
    """The demo tenant tree, as the registry's book of record (reference data, no RLS)."""
    now = datetime.now(UTC)
    await db.execute(
        sa.insert(tenants),
        [
            {"code": c, "name": n, "level": lv, "parent_code": p, "version": 1, "updated_at": now}
            for c, n, lv, p in DEMO_TENANTS
        ],
    )


async def make_unit(db: AsyncSession, tenant: str = YUNAN, name: str | None = None) -> Unit:
    await in_tenant(db, tenant)
    return await units.create_unit(
        db,
        tenant=tenant,
        name=name or f"测试单位{uuid.uuid4().hex[:6]}",
        credit_code=None,
        actor=actor(tenant),
    )


def project_body(unit_id: uuid.UUID, amount: int = 800_000, **extra: Any) -> ProjectCreate:
    return ProjectCreate.model_validate(
        {
            "name": f"智慧政务平台{uuid.uuid4().hex[:6]}",
            "unit_id": str(unit_id),
            "year": PLAN_YEAR,
            "facts": {**SOFTWARE, "amount": amount, "software_amount": amount},
            **extra,
        }
    )


async def make_project(
    db: AsyncSession, unit: Unit, *, amount: int = 800_000, **extra: Any
) -> Project:
    await in_tenant(db, unit.tenant_id)
    project = await projects.create_project(
        db,
        policies=policies(),
        tenant=unit.tenant_id,
        body=project_body(unit.id, amount, **extra),
        actor=actor(unit.tenant_id),
    )
    # Written under its own tenant's context, before a test switches to another.
    await db.flush()
    return project


async def add_document(
    db: AsyncSession, tenant: str, *, doc_type: str = "other", deleted: bool = False
) -> uuid.UUID:
    """A row of the archive-documents replica, as the archive's events leave it."""
    doc_id = uuid.uuid4()
    await in_tenant(db, tenant)
    await db.execute(
        sa.insert(documents).values(
            id=doc_id,
            tenant_id=tenant,
            title="数据销毁证明",
            doc_type=doc_type,
            deleted=deleted,
            updated_at=datetime.now(UTC),
        )
    )
    return doc_id


async def outbox_types(db: AsyncSession, tenant: str) -> list[str]:
    """The event types the registry recorded for ``tenant``, oldest first."""
    await in_tenant(db, tenant)
    rows = await db.execute(
        sa.text("SELECT type FROM registry.outbox WHERE tenant_id = :t ORDER BY created_at, id"),
        {"t": tenant},
    )
    return [r[0] for r in rows]


class Caller:
    """Makes tokens signed by a development issuer that the test app trusts."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def headers(
        self, tenant: str, *roles: str, unit: uuid.UUID | str | None = None, **extra: str
    ) -> dict[str, str]:
        token = mint_token(
            self.home,
            issuer=ISSUER,
            audience="govproj",
            tenant=tenant,
            roles=list(roles),
            user=f"{roles[0]}@{tenant}",
            unit=str(unit) if unit is not None else None,
        )
        return {"Authorization": f"Bearer {token}", **extra}


@asynccontextmanager
async def registry_client(db: AsyncSession, home: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The registry app on the test's transaction, its tokens verified against a dev issuer."""
    settings = ServiceSettings(oidc_issuer=ISSUER, oidc_audience="govproj")
    app: FastAPI = create_app(settings, run_workers=False, check_schema=False)
    issuer = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_issuer_app(home, ISSUER)), base_url=ISSUER
    )
    install_auth(app, settings, client=issuer)
    tree = CachedTenantTree(tenants)
    await tree.load(db)
    app.state.tenant_tree = tree
    app.state.policies = policies()

    async def session_in_callers_context(subject: CurrentSubject) -> AsyncIterator[AsyncSession]:
        # Each request runs in a savepoint of the test's transaction, in its caller's
        # context: a request that fails leaves nothing behind, as its rollback would.
        async with db.begin_nested():
            await apply_tenant_context(db, tenant_context_of(subject))
            yield db

    app.dependency_overrides[db_session] = session_in_callers_context
    # The lean single-object reads run on that session's connection too.
    app.dependency_overrides[db_reads] = session_reads
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry.test"
        ) as client:
            yield client
    finally:
        await issuer.aclose()
