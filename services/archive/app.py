"""The archive service: 电子文件（对象存储、固定性校验）、归档包、四性检测、保管期限。"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from libs.common.storage import store_from_settings
from services.archive import events
from services.archive.api import router
from services.archive.documents.official import start_official_filing
from services.archive.models import Base, tenants
from services.archive.retention.service import start_rotating_audit
from services.archive.storage import ArchiveStorage


async def _open_storage(app: FastAPI) -> None:
    app.state.archive_storage = ArchiveStorage.from_env(store_from_settings(app.state.settings))


SPEC = ServiceSpec(
    name="archive",
    title="GovProj 档案服务（archive）",
    description="电子文件（对象存储、固定性校验）、归档包、四性检测、保管期限。",
    router=router,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
    on_startup=(_open_storage, start_rotating_audit, start_official_filing),
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
