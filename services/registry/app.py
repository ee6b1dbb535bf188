"""The registry service: the book of record for tenants, units, projects and systems."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from services.registry import events
from services.registry.api import domains
from services.registry.models import Base, tenants
from services.registry.policy import load_policies

SPEC = ServiceSpec(
    name="registry",
    title="GovProj 登记服务（registry）",
    description="行政区划（租户）、建设单位、项目及其生命周期、政务信息系统目录、年度计划。",
    router=domains,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
    on_startup=(load_policies,),
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
