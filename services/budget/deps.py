"""What the budget service's routes share: roles, Idempotency-Key, problems."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject, require_roles
from libs.common.errors import Problem
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from services.budget.models import BudgetProject, idempotency_keys
from services.budget.projects import require_project
from services.budget.rules import Violation

__all__ = ["PROBLEMS", "Idem", "Writer", "own", "refuse", "writable"]

Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
#: 建设单位 and the bureau keep a project's budget (郁南 第三条第（一）（二）项: 预算编报).
Writer = Annotated[AuthSubject, Depends(require_roles("unit_officer", "bureau_officer"))]
PROBLEMS = problem_responses(s409="项目状态不允许此操作", s422="输入不合法或违反政策规定（附条款）")


def own(project: BudgetProject, subject: AuthSubject) -> None:
    """An overseer reads a county's project but writes only in its own tenant.

    A 项目管理专员 whose token names a unit answers for that unit's projects only
    (郁府办〔2024〕21号 第三条第（二）项); the bureau acts for the whole jurisdiction.
    """
    if project.tenant_id != subject.tenant:
        raise Problem(
            403, "forbidden", "无权执行此操作", "上级主管部门只能查看下级项目的预算，不能修改"
        )
    if subject.unit_id is None or "bureau_officer" in subject.roles or project.unit_id is None:
        return
    if subject.unit_id != str(project.unit_id):
        raise Problem(
            403,
            "forbidden",
            "无权执行此操作",
            f"unit_id: 只能为本单位（{subject.unit_id}）的项目操作",
            extra={"field": "unit_id"},
        )


async def writable(
    session: AsyncSession, project_id: uuid.UUID, subject: AuthSubject
) -> BudgetProject:
    """The project for a change by ``subject``: 404 when invisible, 403 when only overseen or
    another unit's; then locked (requests on one project's budget run one at a time)."""
    project = await require_project(session, project_id)
    own(project, subject)
    # Lock only now: FOR UPDATE applies the write policy, which an overseer fails (a 404).
    await session.refresh(project, with_for_update=True)
    return project


def refuse(violation: Violation, project: BudgetProject) -> Problem:
    """A 422 naming the rule's article(s) and the policy that holds it."""
    policy: dict[str, Any] | None = (project.decision or {}).get("policy")
    return Problem(
        422, violation.code, violation.title, violation.detail, extra=violation.members(policy)
    )
