"""The authority's discretion: rules, state changes and events (no HTTP).

- An **exception** lifts a softened rule (原则上、一般: ``waivable_by`` in the
  pack) for one project. Only the named authority grants it, with a written
  reason; it is a row of that authority's tenant and the event
  ``govproj.approval.exception.granted.v1`` names the actor and the article.
  It applies to the project's decisions made after it (a stored decision never
  changes): the bureau grants it before the unit submits, or before it
  resubmits after a return.
- A **parameter** the text leaves open (坡头 第十二条 政府采购限额) is recorded by
  the authority the pack names (``set_by``) with the document that sets it; it
  judges projects submitted on or after its ``effective_from``. A new value is
  a new row, so later decisions only change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.db import transaction_memo
from libs.common.deadlines import today_in_china
from libs.common.errors import Conflict, Forbidden, Invalid
from libs.common.reads import from_row
from libs.policy import NoPolicyInForce, Pack, PackError, PolicyRegistry
from libs.policy.bind import check_setting, waivable_rules
from libs.policy.parameters import Exemption, ParameterSetting
from services.approval.discretion import repository
from services.approval.discretion.models import BureauParameter, RuleException
from services.approval.discretion.schemas import (
    ExceptionCount,
    ExceptionCreate,
    ExceptionRead,
    ParameterCreate,
    ParameterRead,
)
from services.approval.models import publisher

__all__ = [
    "exception_counts",
    "exceptions_for",
    "grant_exception",
    "list_exceptions",
    "list_parameters",
    "record_parameter",
    "settings_of",
]


def _pack_now(policies: PolicyRegistry, tenant: str) -> Pack:
    """The pack that will judge the tenant's next submissions (today's, in China)."""
    try:
        return policies.pack_for(tenant, today_in_china())
    except NoPolicyInForce:
        raise Invalid("tenant", "本辖区当前没有适用的政策") from None


def exception_read(row: RuleException) -> ExceptionRead:
    return from_row(ExceptionRead, row, tenant=row.tenant_id)


async def grant_exception(
    session: AsyncSession,
    *,
    subject: AuthSubject,
    body: ExceptionCreate,
    policies: PolicyRegistry,
    actor: dict[str, Any],
) -> ExceptionRead:
    """Record the named authority's exception to a softened rule, and announce it."""
    tenant = subject.tenant
    pack = _pack_now(policies, tenant)
    waivable = waivable_rules(pack).get(body.rule)
    if waivable is None:
        raise Invalid("rule", "该规则不是可由主管机关决定例外的规则（原文非“原则上”“一般”条款）")
    if waivable.role not in subject.roles:
        raise Forbidden(f"该例外只能由{waivable.authority}决定", role=waivable.role)
    if await repository.exception_of(session, body.project_id, body.rule) is not None:
        raise Conflict("exception_exists", "例外已决定", "该项目的这一规则已决定例外")
    now = datetime.now(UTC)
    row = RuleException(
        id=uuid.uuid4(),
        tenant_id=tenant,
        **body.model_dump(),
        pack_id=pack.id,
        article=waivable.article,
        authority=waivable.authority,
        role=waivable.role,
        granted_on=today_in_china(),
        granted_by=actor,
        granted_at=now,
    )
    await publisher.record(
        session,
        row,
        "exception",
        "granted",
        data={
            "exception_id": str(row.id),
            "project_id": str(row.project_id),
            "project_name": row.project_name,
            "policy_id": pack.id,
            "rule": row.rule,
            "article": row.article,
            "authority": row.authority,
            "reason": row.reason,
            "granted_on": row.granted_on.isoformat(),
        },
        actor=actor,
    )
    return exception_read(row)


async def list_exceptions(session: AsyncSession, *, year: int | None) -> list[ExceptionRead]:
    """The exceptions the caller may read: own tenant, an overseer's counties, the auditor's."""
    return [exception_read(r) for r in await repository.visible_exceptions(session, year)]


async def exception_counts(session: AsyncSession) -> list[ExceptionCount]:
    """Exceptions per jurisdiction per year, for the city's dashboard."""
    return [
        ExceptionCount(tenant=t, year=y, count=n)
        for t, y, n in await repository.exception_counts(session)
    ]


def _parameter_read(row: BureauParameter, pack: Pack | None) -> ParameterRead:
    spec = pack.spec.parameters.get(row.name) if pack is not None else None
    return from_row(
        ParameterRead,
        row,
        tenant=row.tenant_id,
        label=spec.label if spec else row.name,
        article=spec.article if spec else "",
    )


async def record_parameter(
    session: AsyncSession,
    *,
    subject: AuthSubject,
    body: ParameterCreate,
    policies: PolicyRegistry,
    actor: dict[str, Any],
) -> ParameterRead:
    """Record a value the pack leaves to this authority, checked like the pack's own values."""
    tenant = subject.tenant
    pack = _pack_now(policies, tenant)
    spec = pack.spec.parameters.get(body.name)
    if spec is None or spec.set_by is None:
        raise Invalid("name", f"参数 {body.name} 不是由主管机关设定的参数")
    authority = pack.spec.authorities[spec.set_by]
    if (authority.role or spec.set_by) not in subject.roles:
        raise Forbidden(f"{spec.label}由{authority.name}设定", role=authority.role or spec.set_by)
    setting = ParameterSetting(
        body.name, body.value, body.document, body.document_date, body.effective_from
    )
    try:
        check_setting(pack, setting)
    except PackError as exc:
        raise Invalid("value", exc.problem) from None
    if any(
        p.effective_from == body.effective_from and p.name == body.name
        for p in await repository.parameters_of(session, tenant)
    ):
        raise Conflict("parameter_exists", "参数已设定", f"{spec.label}在该日期已有设定值")
    row = BureauParameter(
        id=uuid.uuid4(),
        tenant_id=tenant,
        **body.model_dump(),
        set_by=actor,
        recorded_at=datetime.now(UTC),
    )
    transaction_memo(session, _SETTINGS_READ).clear()  # the next decision reads it
    await publisher.record(
        session,
        row,
        "parameter",
        "set",
        data={
            "policy_id": pack.id,
            "name": row.name,
            "label": spec.label,
            "article": spec.article,
            "value": row.value,
            "document": row.document,
            "document_date": row.document_date.isoformat(),
            "effective_from": row.effective_from.isoformat(),
        },
        actor=actor,
    )
    return _parameter_read(row, pack)


async def list_parameters(
    session: AsyncSession, *, tenant: str, policies: PolicyRegistry
) -> list[ParameterRead]:
    """The values recorded in ``tenant``, oldest first."""
    try:
        pack: Pack | None = policies.pack_for(tenant, today_in_china())
    except NoPolicyInForce:
        pack = None
    return [_parameter_read(r, pack) for r in await repository.parameters_of(session, tenant)]


# The settings a transaction has read, by tenant: a consumer batch judges all its
# submissions of a tenant with one read; recording a value forgets them.
_SETTINGS_READ = "approval.parameter_settings"


async def settings_of(session: AsyncSession, tenant: str) -> list[ParameterSetting]:
    """Every value the tenant's authority recorded, for binding to its packs by date.

    Read once per transaction: a batch of decisions is judged with the values
    recorded when it first read them (one recorded meanwhile by another
    transaction reaches the next batch, as it would a decision it raced).
    """
    read: dict[str, list[ParameterSetting]] = transaction_memo(session, _SETTINGS_READ)
    if tenant not in read:
        read[tenant] = [
            ParameterSetting(r.name, r.value, r.document, r.document_date, r.effective_from)
            for r in await repository.parameters_of(session, tenant)
        ]
    return read[tenant]


async def exceptions_for(
    session: AsyncSession, tenant: str, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Exemption]]:
    """The exceptions granted in ``tenant`` for each of the projects (one read for a
    batch of decisions), by project then rule; a project without any is absent."""
    granted: dict[uuid.UUID, dict[str, Exemption]] = {}
    for r in await repository.exceptions_of(session, tenant, project_ids):
        granted.setdefault(r.project_id, {})[r.rule] = Exemption(
            r.rule, r.authority, r.reason, r.granted_on
        )
    return granted
