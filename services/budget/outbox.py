"""How the budget service's aggregates publish: one call that stamps tenant and submission.

Every budget event about a project carries ``tenant`` and the project's
``submission`` (a consumer drops what belongs to an older submission) and names
its actor. The types and their schemas are in
:mod:`services.budget.finance.contract`; :mod:`services.budget.events` lists
them. (Kept apart from ``events.py``, whose handler table imports the
aggregates that call this: one module each way, no import cycle.)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import emit
from services.budget.models import BudgetProject

__all__ = ["of_project", "publish"]


async def publish(
    session: AsyncSession,
    aggregate: str,
    event: str,
    data: Mapping[str, Any],
    *,
    actor: Mapping[str, Any],
    project: BudgetProject | None = None,
    tenant: str | None = None,
) -> None:
    """Emit ``govproj.budget.<aggregate>.<event>.v1`` in the session's transaction (outbox).

    The tenant is the project's unless given; a project's event also carries its
    submission.
    """
    owner = tenant or (project.tenant_id if project is not None else None)
    if owner is None:
        raise ValueError("publish() needs the project or the tenant of the event")
    stamped: dict[str, Any] = {"tenant": owner}
    if project is not None:
        stamped["submission"] = project.submission
    stamped.update(data)
    await emit(
        session,
        tenant=owner,
        service="budget",
        aggregate=aggregate,
        event=event,
        data=stamped,
        actor=actor,
    )


def of_project(project: BudgetProject, actor: Mapping[str, Any]) -> dict[str, Any]:
    """The columns every row a person records on a project shares: id, owner, actor, time."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": project.tenant_id,
        "project_id": project.id,
        "actor": dict(actor),
        "created_at": datetime.now(UTC),
    }
