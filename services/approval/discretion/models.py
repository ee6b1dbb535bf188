"""Tables of the authority's discretion: exceptions it grants and parameters it sets.

Both are rows of the authority's own tenant (RLS: the overseeing city and the
auditor read them, a sibling county never does) and are never updated: a
changed parameter is a new row with a later ``effective_from``, so a stored
decision can always be traced to the value that judged it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db import TenantMixin
from services.approval.models import Base

__all__ = ["BureauParameter", "RuleException"]


class RuleException(TenantMixin, Base):
    """An exception to a softened rule (原则上、一般) for one project, with its written reason."""

    __tablename__ = "rule_exceptions"
    # One exception per project and rule: granting it twice changes nothing.
    __table_args__ = (sa.UniqueConstraint("tenant_id", "project_id", "rule"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    project_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    pack_id: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    rule: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    article: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    authority: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    granted_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    granted_by: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    granted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class BureauParameter(TenantMixin, Base):
    """A value an authority set for a parameter the text leaves open, with its document."""

    __tablename__ = "bureau_parameters"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name", "effective_from"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    document: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    document_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    set_by: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
