"""approval tables: replicas, event tables, idempotency keys, decisions, workflows, documents, changes, reports."""

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
    "ApprovalDocument",
    "Base",
    "ChangeRequest",
    "Decision",
    "DocumentNumber",
    "Opinion",
    "ParentReport",
    "ReportReceipt",
    "Step",
    "Workflow",
    "documents",
    "idempotency_keys",
    "publisher",
    "tenants",
    "units",
]


class Base(DeclarativeBase):
    metadata = service_metadata("approval")


_platform = platform_tables(Base.metadata)
tenants = _platform.tenants
idempotency_keys = _platform.idempotency_keys
#: ``govproj.approval.*`` events (see also workflow/publish.py, events about a workflow).
publisher = Publisher("approval")
# The archive's documents, which opinions cite as attachments.
documents = document_table(Base.metadata)
# The registry's 建设单位 (unit.created): the 主送机关 of the approval document.
units = sa.Table(
    "units",
    Base.metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("tenant_id", sa.String(6), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


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

    @property
    def policy(self) -> dict[str, str]:
        """The pack that judged, pinned by id and content hash (never changes afterwards)."""
        return {"id": self.policy_id, "sha256": self.policy_sha256}


class Workflow(TenantMixin, Base):
    """The review a decision prescribes, or the re-review of a change beyond the limit.

    ``purpose`` is ``project`` (one per decision: a redelivered submitted event
    finds it and opens nothing) or ``change`` (one per change request).
    """

    __tablename__ = "workflows"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "decision_id", "purpose", "change_id"),
        sa.Index("ix_workflows_project", "tenant_id", "project_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    decision_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    purpose: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # NULL-safe uniqueness: a project workflow carries the nil UUID here.
    change_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    route: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    route_article: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    project_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    unit_id: Mapped[str | None] = mapped_column(sa.String(64))
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # What finance (or the bureau) approved: at most the requested amount.
    approved_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)


class Step(TenantMixin, Base):
    """One step of a workflow: who acts (a role), under which article, in which order."""

    __tablename__ = "steps"
    __table_args__ = (
        sa.UniqueConstraint("workflow_id", "seq"),
        sa.Index("ix_steps_queue", "tenant_id", "state", "role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("approval.workflows.id"), nullable=False
    )
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    article: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    explanation: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # pending → open → approved | returned | rejected; cancelled when the workflow ends early.
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    experts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    opened_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Opinion(TenantMixin, Base):
    """An opinion on a step: the deciding one (approve/return/reject) or an expert's."""

    __tablename__ = "opinions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    step_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("approval.steps.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # decision | expert
    outcome: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    attachments: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    approved_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    source_event_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class ApprovalDocument(TenantMixin, Base):
    """立项批复 / 备案确认: its number, validity and budget-year flag."""

    __tablename__ = "approval_documents"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("approval.workflows.id"), nullable=False, unique=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # approval | filing
    number: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    approved_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    approved_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    article: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    validity_article: Mapped[str | None] = mapped_column(sa.String(100))
    # 坡头 第十四条: an approval after the cut-off does not enter next year's budget.
    budget_year: Mapped[int | None] = mapped_column(sa.Integer)
    enters_next_year_budget: Mapped[bool | None] = mapped_column(sa.Boolean)
    cutoff_article: Mapped[str | None] = mapped_column(sa.String(100))
    duties: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    expired_notified: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # The day procurement started (budget service): an approval acted on never expires.
    implementation_started_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class DocumentNumber(TenantMixin, Base):
    """The last number given per jurisdiction, year and kind (a counter row, locked by the upsert)."""

    __tablename__ = "document_numbers"

    tenant_id: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ChangeRequest(TenantMixin, Base):
    """调整/变更: filed within the policy's limit, otherwise back through approval."""

    __tablename__ = "change_requests"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("approval.workflows.id"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    adjustment_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    new_total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    goals_unchanged: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    # Adjustments so far including this one, against the approved total.
    cumulative_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    base_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(100))
    explanation: Mapped[str] = mapped_column(sa.Text, nullable=False)
    review_workflow_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ParentReport(TenantMixin, Base):
    """A county's approval result reported to the city (潮州 第十四条); the city reads it."""

    __tablename__ = "parent_reports"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    parent_tenant: Mapped[str] = mapped_column(sa.String(6), nullable=False, index=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("approval.workflows.id"), nullable=False, unique=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    document_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("approval.approval_documents.id"), nullable=False
    )
    article: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    explanation: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reported_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class ReportReceipt(TenantMixin, Base):
    """The city's acknowledgement of a reported result (a row in the city's own tenant)."""

    __tablename__ = "report_receipts"

    report_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    note: Mapped[str | None] = mapped_column(sa.Text)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
