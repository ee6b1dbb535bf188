"""The acceptance service: 验收前置审核、验收、自评价、绩效评价及其期限。"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from services.acceptance import events, workers
from services.acceptance.api import router
from services.acceptance.models import Base, tenants

__all__ = ["SPEC", "create_app"]

SPEC = ServiceSpec(
    name="acceptance",
    title="GovProj 验收服务（acceptance）",
    description="验收前置审核、验收、自评价、绩效评价及其期限。",
    router=router,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
    # The deadline sweep runs where the workers run (reminders and overdue notices).
    on_startup=(workers.start_sweeper,),
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    """The acceptance app (API, or a worker with ``serve_api=False``)."""
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
