"""The registry service: the book of record for tenants, units, projects and systems."""

from __future__ import annotations

from libs.common.policies import install_policies_on_startup
from libs.common.service import ServiceSpec
from services.registry import api, events, models
from services.registry.workers import start_delivery

SPEC = ServiceSpec.of(
    api,
    models,
    events,
    title="GovProj 登记服务（registry）",
    description="行政区划（租户）、建设单位、项目及其生命周期、政务信息系统目录、年度计划。",
    # The registry validates a unit's facts when it saves the project, so a
    # pack that fails to load stops the service at start-up, as in approval.
    on_startup=(install_policies_on_startup, start_delivery),
    consumers=events.CONSUMERS,
)
create_app = SPEC.create_app
