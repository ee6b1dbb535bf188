"""Registry tables: the tenant tree, units, projects and their history, the catalog, annual plans."""

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

__all__ = ["Base", "dead_letter", "documents", "outbox", "publisher", "tenants"]


class Base(DeclarativeBase):
    metadata = service_metadata("registry")


_platform = platform_tables(Base.metadata)
tenants = _platform.tenants
idempotency_keys = _platform.idempotency_keys
outbox = _platform.events.outbox
dead_letter = _platform.events.dead_letter
#: ``govproj.registry.*`` events, written to :data:`outbox` in the caller's transaction.
publisher = Publisher("registry")
# The archive's documents, kept from its events: a catalog entry's disposal
# evidence must be one of them (issue 16 item 9).
documents = document_table(Base.metadata)


class Unit(TenantMixin, Base):
    """A 建设单位 (project-owning unit) inside one jurisdiction."""

    __tablename__ = "units"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # 统一社会信用代码: 18 characters when known.
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), nullable=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Project(TenantMixin, Base):
    """A 政务信息化项目: its policy facts, its lifecycle state and the decision that routed it."""

    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_non_negative"),
        # Overseer summaries group by these; list filters use them with the tenant.
        sa.Index(
            "ix_projects_tenant_id_state_route",
            "tenant_id",
            "state",
            "route",
            postgresql_include=["amount"],
        ),
        sa.Index("ix_projects_tenant_id_year", "tenant_id", "year"),
        # Cursor pagination walks (created_at, id) descending.
        sa.Index("ix_projects_created_at_id", "created_at", "id"),
        # The list ordered by name walks (name, id).
        sa.Index("ix_projects_name_id", "name", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("units.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # 建设年度: the annual plan (年度需求计划) the project belongs to.
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # The facts as the unit declared them (vocabulary.md codes); the registry adds
    # systems, in_annual_plan and submitted_on when it submits.
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # Systems the project runs or upgrades that are not (yet) in the 政务信息系统目录,
    # by name: the policy judges them as such (坡头 第八条第（一）项).
    uncatalogued_systems: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list, server_default="[]"
    )
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    demand_item_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    route: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    in_annual_plan: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    submitted_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    # Each submission is numbered so a late decision on an earlier one is recognised.
    submission: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    submitted_facts: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    decision_problem: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class ProjectNameGram(Base):
    """A two-character piece of a project's lower-cased name: the 名称包含 search's index.

    Only the trigger of migration 0007 writes these rows, on every insert and
    rename; the docstring there says why a table of equalities and not pg_trgm.
    RLS as every tenant table; no index of its own on ``tenant_id`` (the
    lookup's index carries it).
    """

    __tablename__ = "project_name_grams"
    __table_args__ = (
        sa.Index(
            "ix_project_name_grams_gram_tenant_id_project_id", "gram", "tenant_id", "project_id"
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    gram: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.String(6), nullable=False)


class ProjectHistory(TenantMixin, Base):
    """One lifecycle transition: who, when, why, driven by which event."""

    __tablename__ = "project_history"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("projects.id"), nullable=False, index=True
    )
    from_state: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    trigger: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class System(TenantMixin, Base):
    """An entry of the 政务信息系统目录 with the facts the rules ask for."""

    __tablename__ = "systems"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("units.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    shares_data: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    duplicate_collection: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    crypto_compliant: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    security_compliant: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    secure_reliable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    hosted_on_gov_cloud: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    # Laizhou 第三十八条: how the data was disposed of, and the evidence (an archive document).
    disposition: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    evidence_document_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    decommission_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    in_operation_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decommissioned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)


class ProjectSystem(TenantMixin, Base):
    """A project builds, operates or upgrades a catalog system."""

    __tablename__ = "project_systems"

    project_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("projects.id"), primary_key=True
    )
    system_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("systems.id"), primary_key=True, index=True
    )
    relation: Mapped[str] = mapped_column(sa.String(16), nullable=False)


class AnnualPlan(TenantMixin, Base):
    """A jurisdiction's 年度政务信息化项目建设计划 for one year, consolidated by the bureau."""

    __tablename__ = "annual_plans"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    consolidated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    consolidated_by: Mapped[str | None] = mapped_column(sa.String(200))


class DemandItem(TenantMixin, Base):
    """A unit's demand (需求计划) for a year, submitted inside its policy's window."""

    __tablename__ = "demand_items"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("annual_plans.id"), nullable=False, index=True
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("units.id"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    project_class: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    # submitted → included / excluded when the bureau consolidates the plan.
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    submitted_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    submitted_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)


class Notification(TenantMixin, Base):
    """One message of the 消息中心: an event that needs a person, addressed to them.

    Addressed to a user (``user_id``) or to a role of the tenant, narrowed to one
    unit for unit-bound roles (``role`` + ``unit_id``). ``audience`` spells the
    address so that one event makes one message per address, however often it
    is delivered (issue 20).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "event_id", "audience"),
        # The 消息中心 lists a tenant's newest first, page by page.
        sa.Index("ix_notifications_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    audience: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    user_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    role: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    project_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # What the sentence needs (reason, step, days, due date…); read by libs/vocab.
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class NotificationRead(TenantMixin, Base):
    """That one person has read one message (a role's message is read person by person)."""

    __tablename__ = "notification_reads"

    notification_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("notifications.id"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class NotificationRecipient(TenantMixin, Base):
    """A person as their last token described them: where outbound messages go.

    Recorded from the token's claims (``email`` included) when they open the
    console; the identity provider stays the source (docs/notifications.md).
    """

    __tablename__ = "notification_recipients"

    user_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.String(6), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    roles: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class NotificationDelivery(TenantMixin, Base):
    """One message to one address on one outbound channel: sent once, retried on failure.

    pending → sending → sent; a failed attempt returns to pending until
    ``MAX_ATTEMPTS`` (then failed). A row left in ``sending`` by a crash is not
    sent again (never twice beats always once for a reminder).
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (sa.UniqueConstraint("notification_id", "channel", "address"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("notifications.id"), nullable=False
    )
    channel: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    address: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)


class TrailEvent(TenantMixin, Base):
    """One platform event about one project, kept for the auditor's trail (ADR 0011).

    Fed from the whole GOVPROJ stream by the ``registry_trail`` consumer: the
    outboxes are pruned after two weeks and the stream after a year, while an
    audit reads a project's whole life. An event naming several projects (a
    budget arrangement) is kept once per project.
    """

    __tablename__ = "trail_events"
    __table_args__ = (
        # The trail is read one project at a time, in time order, page by page.
        sa.Index("ix_trail_events_project_time", "project_id", "occurred_at", "event_id"),
    )

    # The CloudEvents id as the producer sent it (a UUIDv7 from our outboxes).
    event_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
