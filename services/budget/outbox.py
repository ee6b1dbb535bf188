"""What every budget event and every recorded row carries, in one place.

Every budget event about a project carries ``tenant`` and the project's
``submission`` (a consumer drops what belongs to an older submission) and names
its actor; every row a person records on a project has its id, owner, actor and
time. The aggregates record their events with :func:`announce` (or the
service's :data:`~services.budget.models.publisher` with :func:`stamped` data),
the aggregate and event written out at the call, so that libs/contracts' scan
of emit sites reads every type the service publishes;
:mod:`services.budget.events` lists them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.models import BudgetProject, publisher

__all__ = ["announce", "of_project", "stamped"]


def of_project(project: BudgetProject, actor: Mapping[str, Any]) -> dict[str, Any]:
    """The columns every row a person records on a project shares: id, owner, actor, time."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": project.tenant_id,
        "project_id": project.id,
        "actor": dict(actor),
        "created_at": datetime.now(UTC),
    }


def stamped(owner: BudgetProject | str, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` headed, for a project's event, by the project's submission (the publisher
    puts the tenant before it)."""
    if isinstance(owner, BudgetProject):
        return {"submission": owner.submission, **data}
    return data


async def announce(
    session: AsyncSession,
    owner: BudgetProject | str,
    aggregate: str,
    event: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
) -> None:
    """``govproj.budget.<aggregate>.<event>.v1`` of a project or a tenant."""
    await publisher.announce(
        session,
        aggregate,
        event,
        tenant=owner.tenant_id if isinstance(owner, BudgetProject) else owner,
        actor=actor,
        data=stamped(owner, data),
    )
