"""The archive service: 电子文件（对象存储、固定性校验）、归档包、四性检测、保管期限。"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from services.archive import events
from services.archive.api import router
from services.archive.models import Base, tenants

SPEC = ServiceSpec(
    name="archive",
    title="GovProj 档案服务（archive）",
    description="电子文件（对象存储、固定性校验）、归档包、四性检测、保管期限。",
    router=router,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
