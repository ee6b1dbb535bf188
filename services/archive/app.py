"""The archive service: 电子文件（对象存储、固定性校验）、归档包、四性检测、保管期限。"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.service import ServiceSpec
from libs.common.storage import store_from_settings
from services.archive import api, events, models
from services.archive.documents.official import start_official_filing
from services.archive.retention.service import start_rotating_audit
from services.archive.storage import ArchiveStorage


async def _open_storage(app: FastAPI) -> None:
    app.state.archive_storage = ArchiveStorage.from_env(store_from_settings(app.state.settings))


SPEC = ServiceSpec.of(
    api,
    models,
    events,
    title="GovProj 档案服务（archive）",
    description="电子文件（对象存储、固定性校验）、归档包、四性检测、保管期限。",
    on_startup=(_open_storage, start_rotating_audit, start_official_filing),
)
create_app = SPEC.create_app
