"""The budget service: 与财政的衔接：资金审核请求、预算安排、预算科目与使用、上限。"""

from __future__ import annotations

from libs.common.policies import install_policies_on_startup
from libs.common.service import ServiceSpec
from services.budget import api, events, models

__all__ = ["SPEC", "create_app"]

SPEC = ServiceSpec.of(
    api,
    models,
    events,
    title="GovProj 预算服务（budget）",
    description="与财政的衔接：资金审核请求、预算安排、预算科目与使用、上限。",
    # Usage reports and surplus returns cite the pack's article (libs/common/policies.py).
    on_startup=(install_policies_on_startup,),
    consumers=events.CONSUMERS,
)
create_app = SPEC.create_app
