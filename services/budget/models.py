"""budget tables: the tenant replica, the event tables, and the projects as finance sees them.

Amounts are integer yuan (``BigInteger``): a county's whole budget fits, and no
path through the service ever holds a float.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import TenantMixin, service_metadata
from libs.common.documents import document_table
from libs.common.publisher import Publisher
from libs.common.tables import platform_tables

__all__ = [
    "Adjustment",
    "Arrangement",
    "Base",
    "BudgetLine",
    "BudgetProject",
    "Contract",
    "Disbursement",
    "FinanceReview",
    "Procurement",
    "SurplusReturn",
    "UsageReport",
    "documents",
    "idempotency_keys",
    "publisher",
    "tenants",
]


class Base(DeclarativeBase):
    metadata = service_metadata("budget")


_platform = platform_tables(Base.metadata)
tenants = _platform.tenants
idempotency_keys = _platform.idempotency_keys
#: ``govproj.budget.*`` events (services/budget/outbox.py: what a project's carry).
publisher = Publisher("budget")
# A replica of the archive's documents, fed by its document events: the 财政部门意见 and
# contract texts this service accepts by id are checked against it (services/budget/replica.py).
documents = document_table(Base.metadata)


class ProjectRecord(TenantMixin):
    """A row about one project of the tenant: its own id and the project's (indexed)."""

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)


class BudgetProject(TenantMixin, Base):
    """A project as the budget service learned it from the approval service's events.

    ``status`` follows the approval outcome (``under_review``, ``approved``,
    ``filed``, ``rejected``, ``returned``, ``out_of_scope``) and then this
    service's own steps (``procuring``, ``implementing``).
    """

    __tablename__ = "projects"
    __table_args__ = (sa.Index(None, "created_at", "id"),)  # the overview's keyset

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)  # the registry's project id
    # The 建设单位 (from the registry's submitted event): a unit-bound officer acts only on it.
    unit_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
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
    # What the finance review approved (资金审核意见), when it has answered.
    finance_approved_amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    # The project's name (registry's submitted event), so finance's overview lists
    # every project in one request without asking the registry row by row.
    name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # When this service first heard of the project: the overview's order and cursor.
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


class Procurement(ProjectRecord, Base):
    """采购启动: one per submission of a project (a second start is a conflict)."""

    __tablename__ = "procurements"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "project_id", "submission"),)

    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    method: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    started_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Contract(ProjectRecord, Base):
    """A signed contract (建设、监理、测评……); the first one starts implementation."""

    __tablename__ = "contracts"

    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    supplier: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    signed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    document_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class BudgetLine(ProjectRecord, Base):
    """One budget line (预算科目) of a project.

    ``construction``, ``supervision``, ``third_party_testing`` and
    ``security_assessment`` count in the total investment (郁南 第十六条第（三）项:
    监理费用、第三方测试费用和安全评估费用纳入总投资); ``operations`` is per
    budget ``year`` and its ``service_year`` (运维第N年, after acceptance).
    """

    __tablename__ = "budget_lines"

    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    year: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    service_year: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    funding: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # 财政部门意见 (潮州 第十三条: new fiscal funds need it before application), an archive document.
    finance_opinion_document_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class FinanceReview(ProjectRecord, Base):
    """资金审核: one per finance step of a workflow; the finance system answers it once."""

    __tablename__ = "finance_reviews"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "step_id"),)

    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    workflow_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    step_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    requested_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    outcome: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    approved_amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    opinion: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    funding_by_year: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    answer_event_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)


class Arrangement(ProjectRecord, Base):
    """One project's line of a 预算安排情况通报 (the finance office's budget arrangement notice)."""

    __tablename__ = "arrangements"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "notice_no", "project_id"),)

    notice_no: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    funding: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    notified_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    notified_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    source_event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Disbursement(ProjectRecord, Base):
    """A payment (资金拨付/支付) against a budget line; its voucher number makes it unique."""

    __tablename__ = "disbursements"
    # Redelivery, replay or a retried request carries the same voucher: never paid twice.
    __table_args__ = (sa.UniqueConstraint("tenant_id", "voucher_no"),)

    line_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    paid_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    voucher_no: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # api | finance
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class UsageReport(ProjectRecord, Base):
    """资金使用情况报告 for one period (坡头 第十五条: 定期将……资金使用情况报区财政局)."""

    __tablename__ = "usage_reports"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "project_id", "period_start", "period_end"),)

    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    narrative: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    article: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class SurplusReturn(ProjectRecord, Base):
    """结余资金按原渠道退回 (莱州 第十九条第一款)."""

    __tablename__ = "surplus_returns"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "voucher_no"),)

    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    returned_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    voucher_no: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Adjustment(ProjectRecord, Base):
    """A move of money between two lines of a project (资金调整), counted against the limit."""

    __tablename__ = "adjustments"

    from_line_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    to_line_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
