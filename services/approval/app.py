"""The approval service: 政策判定（立项审批、备案、自行管理……）及条款依据、审核流程、意见、变更申请。

The factory only: routes are in :mod:`.api`, handlers in :mod:`.events`,
periodic work in :mod:`.workers` (docs/adr/0007-service-layout.md).
"""

from __future__ import annotations

from libs.common.policies import install_policies_on_startup
from libs.common.service import ServiceSpec
from services.approval import api, events, models, workers

SPEC = ServiceSpec.of(
    api,
    models,
    events,
    title="GovProj 审批服务（approval）",
    description="政策判定（立项审批、备案、自行管理……）及条款依据、审核流程、意见、变更申请。",
    # A pack that fails validation stops the service at start-up.
    on_startup=(install_policies_on_startup, *workers.STARTUP),
)
create_app = SPEC.create_app
