"""Helpers of the approval service's own tests (fixtures in conftest.py use them).

- :class:`Tokens`: dev-issuer tokens, verified in process (the issuer app is
  served to the verifier's JWKS client through httpx.ASGITransport);
- :func:`api_app`: the real approval app whose requests run on the test's
  rolled-back session, one savepoint per request (a failed request changes nothing);
- :func:`submission` / :func:`decided`: a project submitted and judged by the real packs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govproj.dev.issuer import create_issuer_app, mint_token
from libs.common.auth import AuthSubject, CurrentSubject, JwksCache, TokenVerifier
from libs.common.db import TenantContext, apply_tenant_context
from libs.common.policies import policies_in
from libs.common.service import db_session, tenant_context_of
from libs.common.settings import CommonSettings, service_settings
from libs.policy import PolicyRegistry
from services.approval.app import create_app
from services.approval.decisions.service import Submission, decide
from services.approval.discretion import service as discretion
from services.approval.discretion.schemas import ExceptionCreate
from services.approval.models import Workflow, tenants
from services.approval.workflow import experts, repository, service

ISSUER = "http://issuer.test"
AUDIENCE = "govproj"

# (code, name, level, parent): the jurisdictions of the four policy packs.
TENANTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("445100", "潮州市", "city", None),
    ("445102", "湘桥区", "county", "445100"),
    ("445103", "潮安区", "county", "445100"),
    ("445300", "云浮市", "city", None),
    ("445322", "郁南县", "county", "445300"),
    ("440804", "坡头区", "county", None),
    ("370683", "莱州市", "county", None),
)
YUNAN, YUNFU, CHAOZHOU, XIANGQIAO, CHAOAN = "445322", "445300", "445100", "445102", "445103"

#: Facts of an 800,000-yuan software project in the annual plan (a 专业类 project).
PROFESSIONAL: dict[str, Any] = {
    "project_class": "professional",
    "service_types": ["software_development"],
    "amount": 800_000,
    "software_amount": 800_000,
    "in_annual_plan": True,
}
PUBLIC: dict[str, Any] = {**PROFESSIONAL, "project_class": "public"}


class _Tree:
    """The tenant tree of :data:`TENANTS` (an overseer sees its counties)."""

    def descendants(self, code: str) -> set[str]:
        return {c for c, _, _, parent in TENANTS if parent == code}


class Tokens:
    """Dev-issuer tokens for any tenant, role, user and unit, and the verifier that accepts them."""

    def __init__(self, home: Path) -> None:
        self.home = home
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_issuer_app(home, ISSUER)), base_url=ISSUER
        )
        self.verifier = TokenVerifier(
            jwks=JwksCache(issuer=ISSUER, client=client), issuer=ISSUER, audience=AUDIENCE
        )

    def headers(
        self, tenant: str, *roles: str, user: str | None = None, unit: str | None = None
    ) -> dict[str, str]:
        token = mint_token(
            self.home,
            issuer=ISSUER,
            audience=AUDIENCE,
            tenant=tenant,
            roles=list(roles),
            user=user or f"{roles[0]}@{tenant}",
            unit=unit,
        )
        return {"Authorization": f"Bearer {token}"}


def policies() -> PolicyRegistry:
    return policies_in(service_settings("approval"))


async def seed_tenants(session: AsyncSession) -> None:
    """The tenant replica rows (names give the document numbers their first character)."""
    now = datetime.now(UTC)
    await session.execute(
        insert(tenants)
        .values(
            [
                {"code": c, "name": n, "level": lv, "parent_code": p, "updated_at": now}
                for c, n, lv, p in TENANTS
            ]
        )
        .on_conflict_do_nothing()
    )


def api_app(session: AsyncSession, tokens: Tokens) -> FastAPI:
    """The approval app, its requests on ``session`` (each in a savepoint), no workers."""
    settings = service_settings("approval")
    app = create_app(settings, run_workers=False, check_schema=False)
    app.state.token_verifier = tokens.verifier
    app.state.policies = policies_in(settings)
    app.state.settings = settings

    async def request_session(subject: CurrentSubject) -> AsyncIterator[AsyncSession]:
        # The savepoint stands in for the request's transaction: a request that
        # fails rolls back to it, exactly as the real one rolls back whole.
        async with session.begin_nested():
            await apply_tenant_context(session, tenant_context_of(subject))
            yield session

    app.dependency_overrides[db_session] = request_session
    # The request gate verifies the token with the app's tree (an overseer sees its counties).
    app.state.tenant_tree = _Tree()
    return app


def submission(
    tenant: str = YUNAN,
    facts: dict[str, Any] | None = None,
    *,
    unit_id: str | None = None,
    on: date | None = None,
    number: int = 1,
    project_id: uuid.UUID | None = None,
) -> Submission:
    """A project submitted by the registry (what ``project.submitted`` carries)."""
    body = dict(PROFESSIONAL if facts is None else facts)
    return Submission(
        tenant=tenant,
        project_id=project_id or uuid.uuid4(),
        submission=number,
        submitted_on=on or date.today(),
        facts=body,
        project_name="郁南县政务云扩容项目",
        unit_id=unit_id or str(uuid.uuid4()),
        amount=int(body["amount"]),
        source_event_id=str(uuid.uuid4()),
    )


async def decided(session: AsyncSession, sub: Submission) -> Workflow:
    """Judge ``sub`` in its tenant and return the workflow it opened."""
    await apply_tenant_context(session, TenantContext.own(sub.tenant))
    decision = await decide(session, sub, policies=policies())
    assert decision is not None, "decided twice"
    return await repository.of_decision(session, decision.id)


def actor(role: str, tenant: str = YUNAN) -> dict[str, Any]:
    return {"type": "user", "id": f"{role}-1", "name": "测试", "tenant": tenant, "roles": [role]}


async def approve_all(session: AsyncSession, wf: Workflow, *, until: str | None = None) -> Workflow:
    """Approve every open step in order, as each step's role would (naming experts first);
    with ``until``, stop when the step of that code is the open one."""
    while wf.state == "open":
        step = next(s for s in await repository.steps_of(session, wf) if s.state == "open")
        if step.code == until:
            break
        if step.code == "expert_review":
            await experts.assign_experts(
                session,
                wf,
                step,
                [{"user": "expert-li", "name": "李专家"}],
                actor("bureau_officer"),
            )
            await experts.record_expert_opinion(
                session,
                wf,
                step,
                user="expert-li",
                conclusion="agree",
                text="同意",
                attachments=[],
                actor=actor("expert"),
            )
        await service.decide_step(
            session,
            wf,
            step,
            outcome="approve",
            text="同意",
            attachments=[],
            approved_amount=None,
            actor=actor(step.role, wf.tenant_id),
        )
    return wf


# ---- the authority's discretion (坡头 第八条 waived for one project) ---------------------
POTOU = "440804"
UNCATALOGUED = {"id": "渔政执法系统", "relation": "operate", "in_catalog": False}


def person(tenant: str, *roles: str, visible: tuple[str, ...] = ()) -> AuthSubject:
    return AuthSubject(
        user=f"{roles[0]}-{tenant}",
        name="测试用户",
        tenant=tenant,
        roles=frozenset(roles),
        visible_tenants=frozenset({tenant, *visible}),
    )


def subject_actor(subject: AuthSubject) -> dict[str, Any]:
    return {
        "type": "user",
        "id": subject.user,
        "tenant": subject.tenant,
        "roles": sorted(subject.roles),
    }


def potou_project(**extra: Any) -> dict[str, Any]:
    return {
        "project_class": "professional",
        "service_types": ["operations_maintenance"],
        "amount": 800_000,
        **extra,
    }


async def grant(session: AsyncSession, subject: AuthSubject, project: uuid.UUID) -> Any:
    return await discretion.grant_exception(
        session,
        subject=subject,
        body=ExceptionCreate(
            project_id=project,
            project_name="渔政执法系统运维",
            rule="scope.ineligible_not_in_catalog",
            reason="该系统已报送补录政务信息系统目录，运维不可中断（渔汛期执法保障）",
        ),
        policies=policies_in(CommonSettings().policies_dir),
        actor=subject_actor(subject),
    )
