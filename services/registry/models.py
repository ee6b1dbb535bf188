"""Registry tables: the tenant tree (book of record) and units (建设单位)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db import TenantMixin, make_base
from libs.common.events import event_tables
from libs.common.tenants import tenant_table

SCHEMA = "registry"
Base = make_base(SCHEMA)

tenants = tenant_table(Base.metadata)
event_tables(Base.metadata)


class Unit(TenantMixin, Base):
    """A 建设单位 (project-owning unit) inside one jurisdiction."""

    __tablename__ = "units"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # 统一社会信用代码: 18 characters when known.
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), nullable=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
