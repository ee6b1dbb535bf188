"""The decision loop: a submitted project is judged by the pack in force on its submitted_on.

Consumes ``govproj.registry.project.submitted.v1``; stores one decision per
submission (a redelivered event finds it and does nothing) and emits
``govproj.approval.project.decided.v1``, or ``project.decision_failed.v1`` with
the problem when the facts do not satisfy the pack or no pack is in force (the
registry returns the project to draft and shows the problem). Serves
``GET /v1/projects/{id}/decision``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import CurrentSubject
from libs.common.errors import Problem
from libs.common.events import Event, emit, system_actor
from libs.common.service import DbSession
from libs.common.settings import service_settings
from libs.policy import (
    FactsError,
    NoPolicyInForce,
    PolicyRegistry,
    evaluate,
    load_registry,
    validate_facts,
)
from services.approval.models import Decision
from services.approval.workflow.service import open_workflow

ACTOR = "approval.policy"
# Built once: values passed as parameters keep SQLAlchemy's compiled-statement cache
# warm (``.values(**row)`` would compile the INSERT again for every decision).
_INSERT_DECISION = (
    insert(Decision)
    .on_conflict_do_nothing(index_elements=["tenant_id", "project_id", "submission"])
    .returning(Decision.id)
)
_registry: PolicyRegistry | None = None


def set_policies(registry: PolicyRegistry) -> None:
    """The packs the service loaded at start-up (the consumer judges with the same ones)."""
    global _registry
    _registry = registry


def policies() -> PolicyRegistry:
    global _registry
    if _registry is None:
        _registry = load_registry(service_settings("approval").policies_dir)
    return _registry


async def _failed(session: AsyncSession, event: Event, problem: dict[str, Any]) -> None:
    data = event.data
    await emit(
        session,
        tenant=event.tenant,
        service="approval",
        aggregate="project",
        event="decision_failed",
        data={
            "tenant": event.tenant,
            "project_id": data.get("project_id"),
            "submission": data.get("submission"),
            "problem": problem,
            "source_event_id": event.id,
        },
        actor=system_actor(ACTOR, event.tenant),
    )


async def on_submitted(session: AsyncSession, event: Event) -> None:
    """Decide on a submitted project, once per submission."""
    data = event.data
    tenant = event.tenant
    try:
        project_id = uuid.UUID(str(data["project_id"]))
        submission = int(data.get("submission") or 1)
        on = date.fromisoformat(str(data["submitted_on"]))
        raw = dict(data["facts"])
    except (KeyError, ValueError, TypeError) as exc:
        await _failed(
            session, event, {"code": "invalid_event", "title": "申报事件不完整", "detail": str(exc)}
        )
        return
    try:
        pack = policies().pack_for(tenant, on)
        facts = validate_facts(pack, raw)
    except NoPolicyInForce as exc:
        await _failed(
            session,
            event,
            {
                "code": "no_policy_in_force",
                "title": "无适用的政策",
                "detail": str(exc),
                "date": on.isoformat(),
            },
        )
        return
    except FactsError as exc:
        await _failed(
            session,
            event,
            {
                "code": "invalid_facts",
                "title": "项目事实不合法",
                "detail": str(exc),
                "field": f"facts.{exc.field}",
            },
        )
        return
    decision = evaluate(pack, facts, on)
    body: dict[str, Any] = decision.model_dump(mode="json")
    decision_id = uuid.uuid4()
    values: dict[str, Any] = {
        "id": decision_id,
        "tenant_id": tenant,
        "project_id": project_id,
        "submission": submission,
        "submitted_on": on,
        "route": decision.route.code,
        "provisional": decision.provisional,
        "policy_id": decision.policy.id,
        "policy_sha256": decision.policy.sha256,
        "decision": body,
        "facts": raw,
        "source_event_id": event.id,
        "decided_at": datetime.now(UTC),
    }
    # One decision per submission: a redelivered event (or a concurrent delivery)
    # finds the row and does nothing more, so it never opens a second workflow.
    inserted = await session.scalar(_INSERT_DECISION, values)
    if inserted is None:
        return
    await emit(
        session,
        tenant=tenant,
        service="approval",
        aggregate="project",
        event="decided",
        data={
            "tenant": tenant,
            "project_id": str(project_id),
            "submission": submission,
            "decision_id": str(decision_id),
            "route": decision.route.code,
            "article": decision.route.article,
            "explanation": decision.route.explanation,
            "provisional": decision.provisional,
            "policy": body["policy"],
            # The whole decision and the facts it judged: budget and acceptance keep
            # their own copies (requirements, time limits, amounts) from this event.
            "decision": body,
            "facts": raw,
        },
        actor=system_actor(ACTOR, tenant),
    )
    # The review the decision prescribes opens in the same transaction.
    await open_workflow(
        session,
        decision=Decision(**values),
        project_name=str(data.get("name") or ""),
        unit_id=str(data["unit_id"]) if data.get("unit_id") else None,
        amount=int(raw.get("amount") or data.get("amount") or 0),
        actor=system_actor(ACTOR, tenant),
    )


router = APIRouter(prefix="/v1", tags=["decisions"])


@router.get(
    "/projects/{project_id}/decision",
    summary="项目的政策判定（最近一次申报）",
    responses={401: {"description": "未认证"}, 404: {"description": "尚未判定或不存在"}},
)
async def get_decision(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    row = (
        await session.scalars(
            sa.select(Decision)
            .where(Decision.project_id == project_id)
            .order_by(Decision.submission.desc())
            .limit(1)
        )
    ).first()
    if row is None:  # not decided yet, or another jurisdiction's project (RLS)
        raise Problem.not_found("项目判定", project_id)
    return {
        "id": str(row.id),
        "tenant": row.tenant_id,
        "project_id": str(row.project_id),
        "submission": row.submission,
        "submitted_on": row.submitted_on.isoformat(),
        "route": row.route,
        "provisional": row.provisional,
        "policy": {"id": row.policy_id, "sha256": row.policy_sha256},
        "decided_at": row.decided_at.isoformat(),
        "decision": row.decision,
    }
