"""What the budget service's routes share: roles, Idempotency-Key, problems."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from libs.common.auth import AuthSubject, require_roles
from libs.common.errors import Problem
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from services.budget.models import BudgetProject, idempotency_keys
from services.budget.rules import Violation

__all__ = ["PROBLEMS", "Idem", "Writer", "own", "refuse"]

Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
#: 建设单位 and the bureau keep a project's budget (郁南 第三条第（一）（二）项: 预算编报).
Writer = Annotated[AuthSubject, Depends(require_roles("unit_officer", "bureau_officer"))]
PROBLEMS = problem_responses(s409="项目状态不允许此操作", s422="输入不合法或违反政策规定（附条款）")


def own(project: BudgetProject, subject: AuthSubject) -> None:
    """An overseer reads a county's project but writes only in its own tenant."""
    if project.tenant_id != subject.tenant:
        raise Problem.not_found("项目", project.id)


def refuse(violation: Violation, project: BudgetProject) -> Problem:
    """A 422 naming the rule's article(s) and the policy that holds it."""
    policy: dict[str, Any] | None = (project.decision or {}).get("policy")
    return Problem(
        422, violation.code, violation.title, violation.detail, extra=violation.members(policy)
    )
