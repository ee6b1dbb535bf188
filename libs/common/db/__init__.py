"""Database access: async engine, one transaction per request or message, tenant context, RLS."""

from libs.common.db._base import (
    TENANT_ID_LENGTH,
    TenantMixin,
    make_base,
    naming_convention,
    service_metadata,
)
from libs.common.db._engine import create_engine, create_sessionmaker
from libs.common.db._memo import transaction_memo
from libs.common.db._prepared import PooledReads, PreparedRead, RowReads, SessionReads
from libs.common.db._rows import unevented
from libs.common.db._statements import cacheable_insert, cacheable_insert_of, parameters
from libs.common.db._tenancy import (
    TenantContext,
    apply_tenant_context,
    before_context_change,
    transaction,
)

__all__ = [
    "TENANT_ID_LENGTH",
    "PooledReads",
    "PreparedRead",
    "RowReads",
    "SessionReads",
    "TenantContext",
    "TenantMixin",
    "apply_tenant_context",
    "before_context_change",
    "cacheable_insert",
    "cacheable_insert_of",
    "create_engine",
    "create_sessionmaker",
    "make_base",
    "naming_convention",
    "parameters",
    "service_metadata",
    "transaction",
    "transaction_memo",
    "unevented",
]
