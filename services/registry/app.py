"""The registry service: the book of record for tenants, units, projects and systems."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.policies import install_policies_on_startup
from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from services.registry import events
from services.registry.api import router
from services.registry.models import Base, tenants
from services.registry.workers import start_delivery

SPEC = ServiceSpec(
    name="registry",
    title="GovProj 登记服务（registry）",
    description="行政区划（租户）、建设单位、项目及其生命周期、政务信息系统目录、年度计划。",
    router=router,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
    # The registry validates a unit's facts when it saves the project, so a
    # pack that fails to load stops the service at start-up, as in approval.
    on_startup=(install_policies_on_startup, start_delivery),
    consumers=events.CONSUMERS,
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
