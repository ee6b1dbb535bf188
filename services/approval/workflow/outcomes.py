"""What the end of a workflow does (no HTTP).

- A project's review approved: the approval document (立项批复 / 备案确认, see
  :mod:`services.approval.documents.service`), ``project.approved`` or
  ``project.filed``, and the report up where the pack requires it (潮州 第十四条);
- returned or rejected: ``project.returned`` / ``project.rejected`` with the
  reason and the article of the step that ended it;
- a change's re-review: the change request is closed with the result
  (:mod:`services.approval.changes.closing`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from libs.vocab import OPINION_OUTCOMES
from services.approval.changes.closing import close_change
from services.approval.documents import service as documents
from services.approval.models import Decision, Step, Workflow
from services.approval.reports import service as reports
from services.approval.workflow.publish import publish

#: Routes whose result is a 立项批复; every other reviewed route is filed (备案确认).
_APPROVAL_ROUTES: Final = frozenset({"approval", "government_investment"})


def result_kind(route: str) -> str:
    """``approval`` (立项) or ``filing`` (备案): what the route's result document is."""
    return "approval" if route in _APPROVAL_ROUTES else "filing"


async def _decision_of(session: AsyncSession, wf: Workflow) -> Decision:
    decision = await session.get(Decision, wf.decision_id)
    if decision is None:  # the workflow row references it; only a broken database lacks it
        raise RuntimeError(f"decision {wf.decision_id} of workflow {wf.id} is missing")
    return decision


async def finish_approved(session: AsyncSession, wf: Workflow, actor: dict[str, Any]) -> None:
    """The last step approved: the project is approved or filed, or the change approved."""
    kind = result_kind(wf.route)
    wf.state = "approved" if kind == "approval" else "filed"
    wf.closed_at = datetime.now(UTC)
    if wf.purpose == "change":
        await close_change(session, wf, "approved", None, actor)
        return
    body = (await _decision_of(session, wf)).decision
    doc = await documents.issue(session, wf, body, kind=kind)
    label = "立项" if kind == "approval" else "备案"
    await publish(
        session,
        wf,
        "project",
        "approved" if kind == "approval" else "filed",
        actor,
        approval=documents.document_view(doc),
        # The 公文 as decided now; the archive typesets it as PDF and files it (issue 18).
        official=(await documents.official_document(session, wf, doc, body)).model_dump(
            mode="json"
        ),
        reason=f"已{label}，文号 {doc.number}（{doc.article}）",
    )
    await reports.report_up(session, wf, doc, body, actor)


async def end_early(
    session: AsyncSession,
    wf: Workflow,
    step: Step,
    *,
    outcome: str,
    text: str,
    actor: dict[str, Any],
) -> None:
    """A step returned or rejected the submission (or the change): the workflow ends here."""
    state = "returned" if outcome == "return" else "rejected"
    wf.state = state
    wf.closed_at = datetime.now(UTC)
    wf.reason = text
    if wf.purpose != "project":
        await close_change(session, wf, state, text, actor)
        return
    await publish(
        session,
        wf,
        "project",
        "returned" if outcome == "return" else "rejected",
        actor,
        step_id=str(step.id),
        code=step.code,
        article=step.article,
        reason=f"{OPINION_OUTCOMES[outcome]}（{step.article}）：{text}",
    )
