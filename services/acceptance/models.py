"""acceptance tables: the tenant replica, the event tables and the acceptance domain.

- ``projects``: the service's copy of each project (decision, facts, approval
  document, lifecycle state as the registry reports it, archive acceptance,
  completion, acceptance and operation dates), kept from events.
- ``reviews``: the pre-acceptance review (验收前置审核 / 符合性审查) with its checklist.
- ``acceptances``: each acceptance held (expert opinions, report, outcome).
- ``deadlines`` and ``extensions``: what the decision's time limits require and when.
- ``evaluations``: self-evaluation, performance and post-evaluation reports; ``standards``.
- ``draws``: the 双随机 draws with their seed and pool.
- ``documents``: the archive documents this tenant holds (from the archive's events),
  so evidence can be checked without reading the archive's schema.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import TenantMixin, service_metadata
from libs.common.publisher import Publisher
from libs.common.tables import platform_tables

__all__ = ["TENANT_TABLES", "Base", "idempotency_keys", "publisher", "tenants"]


class Base(DeclarativeBase):
    metadata = service_metadata("acceptance")


_platform = platform_tables(Base.metadata)
tenants = _platform.tenants
idempotency_keys = _platform.idempotency_keys
#: ``govproj.acceptance.*`` events (services/acceptance/outbox.py: what a project's carry).
publisher = Publisher("acceptance")

_ts = sa.DateTime(timezone=True)


class Decided:
    """A request someone answers: who asked and when, who decided, when, and the written opinion."""

    requested_by: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    requested_at: Mapped[datetime] = mapped_column(_ts, nullable=False)
    decided_by: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(_ts, nullable=True)
    opinion: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class SubmissionRecord(TenantMixin):
    """A row about one submission of a project: what :func:`~services.acceptance.outbox.of_project` fills."""

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class Project(TenantMixin, Base):
    """One project as acceptance knows it (latest submission's decision)."""

    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)  # the registry's id
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")
    unit_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    route: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    decision_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    approval: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    # The registry's lifecycle state and the version of the project it came with
    # (an older state_changed delivered late never overwrites a newer one).
    state: Mapped[str] = mapped_column(sa.String(32), nullable=False, server_default="draft")
    registry_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    implementing_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    completed_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    accepted_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    in_operation_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    archive_acceptance: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(_ts, nullable=False)


class Review(SubmissionRecord, Decided, Base):
    """A pre-acceptance review; a returned review is closed and a new one opened."""

    __tablename__ = "reviews"

    mode: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    reviewer_role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    # open → passed | returned
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)


class Acceptance(SubmissionRecord, Base):
    """An acceptance held: expert opinions, the report in the archive, the outcome."""

    __tablename__ = "acceptances"

    review_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # passed | failed
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    report_document_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    expert_opinions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    conclusion: Mapped[str] = mapped_column(sa.Text, nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    recorded_by: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(_ts, nullable=False)


class Deadline(SubmissionRecord, Base):
    """One deadline a time limit of the decision sets (open → met | overdue → met)."""

    __tablename__ = "deadlines"
    # One row per cycle: a yearly limit (莱州 第二十四条 建设期内每年年底前) has one per year.
    __table_args__ = (
        sa.UniqueConstraint(
            "tenant_id",
            "project_id",
            "submission",
            "code",
            "original_due_on",
            name="uq_deadlines_cycle",
        ),
    )

    code: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    anchor: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    anchor_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    month_day: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    working_days: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    original_due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    calendar_known: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    article: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    explanation: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # open | overdue | met
    met_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(_ts, nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(_ts, nullable=True)
    created_at: Mapped[datetime] = mapped_column(_ts, nullable=False)


class Extension(TenantMixin, Decided, Base):
    """延期验收申请 (莱州 第二十三条第二款) and the approving department's answer."""

    __tablename__ = "extensions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    deadline_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    requested_until: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # requested|granted|refused


class Evaluation(SubmissionRecord, Base):
    """A report after acceptance: self_evaluation, performance_evaluation, post_evaluation, standard."""

    __tablename__ = "evaluations"

    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    report_document_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    submitted_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False)
    rating: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    draw_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    article: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    recorded_by: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(_ts, nullable=False)


class Draw(TenantMixin, Base):
    """A 双随机 draw (莱州 第三十四条): committed first, drawn later, redone by anyone.

    The seed comes from the server's CSPRNG when the draw is *committed*; only
    its SHA-256 (``commitment``) is shown until the draw is made, after which
    the seed is revealed. The project pool is fixed from the register when the
    draw is made, after the commitment was published, so neither the seed nor
    the pool can be chosen to fit the other. One authoritative draw per tenant
    and year; rows from before commitments existed are ``legacy``.
    """

    __tablename__ = "draws"
    __table_args__ = (
        sa.Index(
            "uq_draws_tenant_year",
            "tenant_id",
            "year",
            unique=True,
            postgresql_where=sa.text("status <> 'legacy'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # committed → drawn; legacy: made before commitments (the caller could pick seed and pool)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="legacy")
    seed: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    commitment: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    evaluator_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    project_pool: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    projects: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    evaluator_pool: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    evaluators: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    committed_by: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    committed_at: Mapped[datetime | None] = mapped_column(_ts, nullable=True)
    drawn_by: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(_ts, nullable=True)


class Document(TenantMixin, Base):
    """An archive document this tenant holds, from the archive's uploaded/attached events."""

    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)  # the archive's id
    doc_type: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    title: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    project_ids: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    seen_at: Mapped[datetime] = mapped_column(_ts, nullable=False)


TENANT_TABLES = (
    "projects",
    "reviews",
    "acceptances",
    "deadlines",
    "extensions",
    "evaluations",
    "draws",
    "documents",
    "idempotency_keys",
)
