"""budget tables: the tenant tree replica and the event tables (its domain tables join here)."""

from __future__ import annotations

from libs.common.db import make_base
from libs.common.events import event_tables
from libs.common.tenants import tenant_table

SCHEMA = "budget"
Base = make_base(SCHEMA)

# A replica of the registry's tenant tree, fed by tenant.created / tenant.updated.
tenants = tenant_table(Base.metadata)
event_tables(Base.metadata)
