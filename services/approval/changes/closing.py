"""Closing a change request when its re-review ends (called by the workflow, no HTTP).

Kept apart from :mod:`.service` because that module opens the re-review (it
imports the workflow) while the workflow's end closes the change (it imports
this one): two directions, two modules, no cycle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.models import ChangeRequest, Workflow
from services.approval.workflow.publish import publish


async def close_change(
    session: AsyncSession, wf: Workflow, state: str, text: str | None, actor: dict[str, Any]
) -> None:
    """``change.approved`` / ``change.returned`` / ``change.rejected`` with the total approved."""
    change = await session.get(ChangeRequest, wf.change_id, with_for_update=True)
    if change is None:
        raise RuntimeError(f"change {wf.change_id} of workflow {wf.id} is missing")
    change.state = state
    change.closed_at = datetime.now(UTC)
    await publish(
        session,
        wf,
        "change",
        state,
        actor,
        change_id=str(change.id),
        kind=change.kind,
        adjustment_amount=change.adjustment_amount,
        new_total=change.new_total,
        # The total approved again: finance's figure where it gave one, else the total asked.
        approved_amount=(
            (wf.approved_amount if wf.approved_amount is not None else change.new_total)
            if state == "approved"
            else None
        ),
        reason=text,
    )
