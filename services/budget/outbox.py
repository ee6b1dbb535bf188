"""How the budget service's aggregates publish: one call that stamps tenant and submission.

Every budget event about a project carries ``tenant`` and the project's
``submission`` (a consumer drops what belongs to an older submission) and names
its actor. The types and their schemas are in
:mod:`services.budget.finance.contract`; :mod:`services.budget.events` lists
them. (Kept apart from ``events.py``, whose handler table imports the
aggregates that call this: one module each way, no import cycle.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import emit
from services.budget.models import BudgetProject

__all__ = ["publish"]


async def publish(
    session: AsyncSession,
    *,
    tenant: str,
    aggregate: str,
    event: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
    project: BudgetProject | None = None,
) -> None:
    """Emit ``govproj.budget.<aggregate>.<event>.v1`` in the session's transaction (outbox)."""
    stamped: dict[str, Any] = {"tenant": tenant}
    if project is not None:
        stamped["submission"] = project.submission
    stamped.update(data)
    await emit(
        session,
        tenant=tenant,
        service="budget",
        aggregate=aggregate,
        event=event,
        data=stamped,
        actor=actor,
    )
