"""采购与合同: the steps that move an approved or filed project into construction.

Starting procurement moves approved|filed → procuring
(``govproj.budget.project.procurement_started.v1``); the first signed contract
moves procuring → implementing (``govproj.budget.project.contracted.v1``; later
ones only record). The registry follows both events. A contract's text must
be a ``contract`` document of the project in the archive (issue 16 item 9).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import TenantMixin
from libs.common.errors import Conflict
from libs.common.reads import row_json
from libs.vocab import format_amount, label
from services.budget.models import BudgetProject, Contract, Procurement, publisher
from services.budget.outbox import of_project, stamped
from services.budget.procurement.schemas import (
    ContractCreate,
    ContractRead,
    ProcurementCreate,
    ProcurementRead,
)
from services.budget.replica import require_document, status_text

__all__ = ["contract_out", "procurement_out", "record_contract", "start_procurement"]

CONTRACT_TYPES = frozenset({"contract"})


def procurement_out(p: Procurement) -> dict[str, Any]:
    return row_json(ProcurementRead, p)


def contract_out(c: Contract) -> dict[str, Any]:
    return row_json(ContractRead, c)


def _require_status(
    project: BudgetProject, allowed: Collection[str], code: str, title: str, needed: str
) -> None:
    if project.status not in allowed:
        raise Conflict(code, title, f"项目当前状态为 {status_text(project)}，{needed}")


async def _advance(
    session: AsyncSession,
    event: str,
    *,
    project: BudgetProject,
    row: TenantMixin,
    status: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
) -> None:
    """Record ``row``, move the project to ``status`` and tell the registry, in one flush."""
    project.status = status
    project.updated_at = datetime.now(UTC)
    await publisher.record(
        session,
        row,
        "project",
        event,
        actor=actor,
        data=stamped(project, {"project_id": str(project.id), **data}),
    )


async def start_procurement(
    session: AsyncSession,
    *,
    project: BudgetProject,
    body: ProcurementCreate,
    actor: Mapping[str, Any],
) -> dict[str, Any]:
    """启动采购 for an approved or filed project (a second start is a conflict)."""
    _require_status(
        project,
        ("approved", "filed"),
        "project_not_approved",
        "项目未立项或备案，不能启动采购",
        "须为 approved（已立项）或 filed（已备案）",
    )
    proc = Procurement(
        **of_project(project, actor),
        submission=project.submission,
        **body.model_dump(),
    )
    await _advance(
        session,
        "procurement_started",
        project=project,
        row=proc,
        status="procuring",
        data={
            "procurement_id": str(proc.id),
            **body.model_dump(mode="json"),
            "reason": f"启动采购（{label('procurement_method', body.method)}）",
        },
        actor=actor,
    )
    return procurement_out(proc)


async def record_contract(
    session: AsyncSession,
    *,
    project: BudgetProject,
    body: ContractCreate,
    actor: Mapping[str, Any],
) -> dict[str, Any]:
    """登记合同 of a project in procurement or implementation; its text must be archived."""
    _require_status(
        project,
        ("procuring", "implementing"),
        "procurement_not_started",
        "项目尚未启动采购，不能登记合同",
        "须先启动采购",
    )
    await require_document(
        session,
        body.document_id,
        project=project,
        doc_types=CONTRACT_TYPES,
        field="document_id",
        what="合同文本",
    )
    contract = Contract(
        **of_project(project, actor),
        submission=project.submission,
        **body.model_dump(),
    )
    await _advance(
        session,
        "contracted",
        project=project,
        row=contract,
        status="implementing",
        data={
            "contract_id": str(contract.id),
            **body.model_dump(mode="json"),
            "reason": f"签订合同：{body.supplier}，{format_amount(body.amount)}",
        },
        actor=actor,
    )
    return contract_out(contract)
