"""The acceptance service: 验收前置审核、验收、自评价、绩效评价及其期限。"""

from __future__ import annotations

from libs.common.service import ServiceSpec
from services.acceptance import api, events, models, workers

__all__ = ["SPEC", "create_app"]

SPEC = ServiceSpec.of(
    api,
    models,
    events,
    title="GovProj 验收服务（acceptance）",
    description="验收前置审核、验收、自评价、绩效评价及其期限。",
    # The deadline sweep runs where the workers run (reminders and overdue notices).
    on_startup=(workers.start_sweeper,),
)
create_app = SPEC.create_app
