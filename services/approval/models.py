"""approval tables: the tenant tree replica, the event tables and the policy decisions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db import TenantMixin, make_base
from libs.common.events import event_tables
from libs.common.tenants import tenant_table

__all__ = ["Base", "tenants"]

SCHEMA = "approval"
if TYPE_CHECKING:  # mypy cannot use a class returned by a function as a base
    from sqlalchemy.orm import DeclarativeBase as Base
else:
    Base = make_base(SCHEMA)

# A replica of the registry's tenant tree, fed by tenant.created / tenant.updated.
tenants = tenant_table(Base.metadata)
event_tables(Base.metadata)


class Decision(TenantMixin, Base):
    """The policy decision on one submission of a project (the pack in force on its submitted_on)."""

    __tablename__ = "decisions"
    # Redelivery of the submitted event must not decide twice; a resubmission
    # (after a return to draft) is a new submission with its own decision.
    __table_args__ = (sa.UniqueConstraint("tenant_id", "project_id", "submission"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    submitted_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    route: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    provisional: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    policy_id: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    policy_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    decision: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    source_event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
