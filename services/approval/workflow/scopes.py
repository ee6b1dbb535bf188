"""The authorization scope of a workflow and of its steps (docs/adr/0008-authorization.md).

A workflow belongs to its project's jurisdiction and unit. It is also a review:
an expert reads it only when named in one of its steps, so its scope always
lists the experts named (see :func:`review_scope`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import ACTIONS, Access, Scope
from libs.common.errors import Forbidden
from libs.vocab import ROLE_BODIES, label
from services.approval.models import Step, Workflow
from services.approval.workflow import repository

#: ``Scope.experts`` empty means "not a review"; a review with nobody named yet is
#: still one, so it lists a user no token can carry (``sub`` is never empty).
_NOBODY: Final = ""


def _scope(wf: Workflow, what: str, experts: frozenset[str]) -> Scope:
    return Scope(
        tenant=wf.tenant_id,
        unit_id=wf.unit_id,
        what=what,
        name=wf.project_name,
        experts=experts | {_NOBODY},
    )


async def review_scope(session: AsyncSession, wf: Workflow, *, what: str = "项目") -> Scope:
    """The scope of ``wf`` (and of what hangs off it: decision, document, changes)."""
    return _scope(wf, what, await repository.named_experts(session, wf))


def step_scope(wf: Workflow, step: Step) -> Scope:
    """The scope of one step: an expert acts only on a review naming them."""
    return _scope(wf, "审核环节", frozenset(e["user"] for e in step.experts))


#: The action a step's role performs (libs/common/auth ACTIONS); other roles' steps
#: (a unit's 内部论证, a catalog step …) are ``workflow.step``.
STEP_ACTIONS: Final = {
    "bureau_officer": "bureau.decide",
    "finance_officer": "finance.review",
    "crypto_officer": "crypto.review",
}


def check_step(access: Access, wf: Workflow, step: Step) -> None:
    """May the caller decide ``step``? 404 unseen; 403 another role's, unit's or jurisdiction's.

    The step's role is the pack's actor (its article names who acts): a caller
    without that role gets 403 naming it, even where its own role could act on
    other steps (the bureau does not act for the unit).
    """
    scope = step_scope(wf, step)
    access.check_read(scope)
    if step.role not in access.subject.roles:
        raise Forbidden(
            f"role: 环节「{label('step', step.code)}」由{ROLE_BODIES.get(step.role, label('role', step.role))}"
            f"办理（{step.article}）",
            code="not_your_step",
            role=step.role,
        )
    action = ACTIONS[STEP_ACTIONS.get(step.role, "workflow.step")]
    Access(subject=access.subject, action=action).check(scope)
