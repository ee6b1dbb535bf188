"""A workflow as one caller may see it (the read side of the workflow routes).

Experts judge independently (issue 20): until the bureau concludes an expert
review, an expert sees only their own opinion and conclusion, not the other
experts'. Everyone else sees every opinion with who gave it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.reads import from_row
from services.approval.documents import repository as documents
from services.approval.documents.schemas import ApprovalDocumentRead
from services.approval.documents.service import document_view
from services.approval.models import Opinion, Step, Workflow
from services.approval.reports import service as reports
from services.approval.reports.schemas import ReportRead
from services.approval.workflow import repository
from services.approval.workflow.publish import change_id_of
from services.approval.workflow.schemas import (
    ExpertRead,
    OpinionRead,
    StepRead,
    StepTask,
    TaskList,
    WorkflowRead,
)


def _independent(viewer: AuthSubject, step: Step) -> bool:
    """Whether ``viewer`` must not yet see the other experts' opinions on ``step``."""
    return viewer.roles == frozenset({"expert"}) and step.state in ("open", "pending")


def _step_fields(wf: Workflow, step: Step, viewer: AuthSubject) -> dict[str, Any]:
    """The :class:`StepFields` of ``step`` as ``viewer`` may see them."""
    return {
        "step_id": step.id,
        "seq": step.seq,
        "code": step.code,
        "role": step.role,
        "article": step.article,
        "explanation": step.explanation,
        "state": step.state,
        "unit_id": wf.unit_id,
        "experts": experts_of(step, viewer),
    }


def experts_of(step: Step, viewer: AuthSubject) -> list[ExpertRead]:
    hide = _independent(viewer, step)
    return [
        ExpertRead(user=e["user"], name=e["name"])
        if hide and e["user"] != viewer.user
        else ExpertRead.model_validate(e)
        for e in step.experts
    ]


def _opinions_of(step: Step, opinions: Sequence[Opinion], viewer: AuthSubject) -> list[OpinionRead]:
    hide = _independent(viewer, step)
    return [
        from_row(OpinionRead, o, opinion=o.text)
        for o in opinions
        if not (hide and o.kind == "expert" and o.actor.get("id") != viewer.user)
    ]


async def workflow_read(session: AsyncSession, wf: Workflow, viewer: AuthSubject) -> WorkflowRead:
    steps = await repository.steps_of(session, wf)
    by_step: dict[Any, list[Opinion]] = {}
    for o in await repository.opinions_of(session, steps):
        by_step.setdefault(o.step_id, []).append(o)
    doc = await documents.of_workflow(session, wf.id)
    return from_row(
        WorkflowRead,
        wf,
        tenant=wf.tenant_id,
        change_id=change_id_of(wf),
        steps=[
            StepRead(
                **_step_fields(wf, s, viewer),
                opened_at=s.opened_at,
                completed_at=s.completed_at,
                opinions=_opinions_of(s, by_step.get(s.id, []), viewer),
            )
            for s in steps
        ],
        approval=ApprovalDocumentRead.of(document_view(doc)) if doc else None,
    )


def step_task(
    wf: Workflow,
    step: Step,
    viewer: AuthSubject,
    kind: Literal["step", "expert_review"] = "step",
) -> StepTask:
    return from_row(
        StepTask,
        wf,
        **_step_fields(wf, step, viewer),
        kind=kind,
        tenant=wf.tenant_id,
        workflow_id=wf.id,
        opened_at=step.opened_at,
    )


async def tasks_for(
    session: AsyncSession,
    viewer: AuthSubject,
    *,
    limit: int,
    sort: str = "opened",
    cursor: str | None = None,
) -> TaskList:
    """我的待办: open steps of the viewer's jurisdiction for its roles (a unit officer's
    own unit only), a page at a time; on the first page also the expert reviews naming it
    that await its opinion, and for an overseer the results its counties reported up and
    it has not acknowledged (short lists, shown once so no page repeats them)."""
    steps, next_cursor = await repository.open_steps_for(
        session,
        tenant=viewer.tenant,
        roles=viewer.roles,
        unit_id=viewer.unit_id,
        limit=limit,
        sort=sort,
        cursor=cursor,
    )
    items: list[StepTask | ReportRead] = [step_task(wf, step, viewer) for wf, step in steps]
    if cursor is None and viewer.has_role("expert"):
        for wf, step in await repository.expert_reviews_for(
            session, tenant=viewer.tenant, user=viewer.user, limit=limit
        ):
            mine = next(e for e in step.experts if e["user"] == viewer.user)
            if mine["opinion"] is None:
                items.append(step_task(wf, step, viewer, "expert_review"))
    if cursor is None and viewer.has_role("overseer"):
        items.extend(await reports.pending_for(session, viewer.tenant))
    return TaskList(items=items, count=len(items), next_cursor=next_cursor)
