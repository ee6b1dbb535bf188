"""The budget service: 与财政的衔接：资金审核请求、预算安排、预算科目与使用、上限。"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.policies import install_policies_on_startup
from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from services.budget import events
from services.budget.api import router
from services.budget.models import Base, tenants

__all__ = ["SPEC", "create_app"]


SPEC = ServiceSpec(
    name="budget",
    title="GovProj 预算服务（budget）",
    description="与财政的衔接：资金审核请求、预算安排、预算科目与使用、上限。",
    router=router,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
    # Usage reports and surplus returns cite the pack's article (libs/common/policies.py).
    on_startup=(install_policies_on_startup,),
    consumers=events.CONSUMERS,
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    """The budget service's FastAPI app (:func:`libs.common.service.create_service_app`)."""
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
