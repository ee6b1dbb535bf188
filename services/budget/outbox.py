"""What every budget event and every recorded row carries, in one place.

Every budget event about a project carries ``tenant`` and the project's
``submission`` (a consumer drops what belongs to an older submission) and names
its actor; every row a person records on a project has its id, owner, actor and
time. The aggregates record their events with :func:`announce`, the
aggregate and event written out at the call, so that libs/contracts' scan of
emit sites reads every type the service publishes; :mod:`services.budget.events`
lists them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import emit
from services.budget.models import BudgetProject

__all__ = ["announce", "of_project", "stamped"]


def stamped(owner: BudgetProject | str, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` headed by its tenant and, for a project's event, the project's submission."""
    if isinstance(owner, BudgetProject):
        return {"tenant": owner.tenant_id, "submission": owner.submission, **data}
    return {"tenant": owner, **data}


def of_project(project: BudgetProject, actor: Mapping[str, Any]) -> dict[str, Any]:
    """The columns every row a person records on a project shares: id, owner, actor, time."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": project.tenant_id,
        "project_id": project.id,
        "actor": dict(actor),
        "created_at": datetime.now(UTC),
    }


async def announce(
    session: AsyncSession,
    owner: BudgetProject | str,
    aggregate: str,
    event: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
) -> None:
    """``govproj.budget.<aggregate>.<event>.v1`` of a project or a tenant, :func:`stamped`."""
    await emit(
        session,
        tenant=owner.tenant_id if isinstance(owner, BudgetProject) else owner,
        service="budget",
        aggregate=aggregate,
        event=event,
        data=stamped(owner, data),
        actor=actor,
    )
