"""budget tables: the tenant replica, the event tables, and the projects as finance sees them.

Amounts are integer yuan (``BigInteger``): a county's whole budget fits, and no
path through the service ever holds a float.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db import TenantMixin, make_base
from libs.common.events import event_tables
from libs.common.idempotency import idempotency_table
from libs.common.tenants import tenant_table

__all__ = ["Base", "BudgetProject", "Contract", "Procurement", "idempotency_keys", "tenants"]

SCHEMA = "budget"
if TYPE_CHECKING:  # mypy cannot use a class returned by a function as a base
    from sqlalchemy.orm import DeclarativeBase as Base
else:
    Base = make_base(SCHEMA)

# A replica of the registry's tenant tree, fed by tenant.created / tenant.updated.
tenants = tenant_table(Base.metadata)
event_tables(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)


class BudgetProject(TenantMixin, Base):
    """A project as the budget service learned it from the approval service's events.

    ``status`` follows the approval outcome (``under_review``, ``approved``,
    ``filed``, ``rejected``, ``returned``, ``out_of_scope``) and then this
    service's own steps (``procuring``, ``implementing``).
    """

    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)  # the registry's project id
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    route: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    decision_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # 项目总投资 as submitted; the approved amount once approval (and finance) says so.
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    approved_amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    decision: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    approval: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Procurement(TenantMixin, Base):
    """采购启动: one per submission of a project (a second start is a conflict)."""

    __tablename__ = "procurements"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "project_id", "submission"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    method: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    started_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Contract(TenantMixin, Base):
    """A signed contract (建设、监理、测评……); the first one starts implementation."""

    __tablename__ = "contracts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    supplier: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    signed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    document_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
