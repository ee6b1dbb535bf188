"""The approval service: 政策判定（立项审批、备案、自行管理……）及条款依据、审核流程、意见、变更申请。

The factory only: routes are in :mod:`.api`, handlers in :mod:`.events`,
periodic work in :mod:`.workers` (docs/adr/0007-service-layout.md).
"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.policies import install_policies
from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from services.approval import events, workers
from services.approval.api import router
from services.approval.models import Base, tenants


async def load_policies(app: FastAPI) -> None:
    """Load every policy pack at start-up: a pack that fails validation stops the service."""
    install_policies(app, app.state.settings)


SPEC = ServiceSpec(
    name="approval",
    title="GovProj 审批服务（approval）",
    description="政策判定（立项审批、备案、自行管理……）及条款依据、审核流程、意见、变更申请。",
    router=router,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
    on_startup=(load_policies, *workers.STARTUP),
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
