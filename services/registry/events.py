"""Events the registry publishes (it consumes only the tenant events every service consumes).

- ``govproj.registry.tenant.created.v1`` / ``tenant.updated.v1``: the tenant tree;
  every other service keeps a replica from them.
- ``govproj.registry.unit.created.v1``: a 建设单位 was registered.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler

PUBLISHES = (
    "govproj.registry.tenant.created.v1",
    "govproj.registry.tenant.updated.v1",
    "govproj.registry.unit.created.v1",
)

HANDLERS: Mapping[str, EventHandler] = {}
SUBJECTS: tuple[str, ...] = ()
