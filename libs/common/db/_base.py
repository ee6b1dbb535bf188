from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TENANT_ID_LENGTH = 6  # GB/T 2260 division code

naming_convention: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """The metadata of one service's tables: its own schema, the platform's constraint names.

    A service's ``models.py`` declares ``class Base(DeclarativeBase)`` with it.
    """
    return MetaData(schema=schema, naming_convention=naming_convention)


def make_base(schema: str) -> type[DeclarativeBase]:
    """A declarative base whose tables live in ``schema`` (one schema per service)."""

    class Base(DeclarativeBase):
        metadata = service_metadata(schema)
        type_annotation_map: ClassVar[dict[Any, Any]] = {}

    return Base


class TenantMixin:
    """``tenant_id`` on a tenant-owned table; its migration must call ``enable_tenant_rls``."""

    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID_LENGTH), nullable=False, index=True)
