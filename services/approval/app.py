"""The approval service: 政策判定（立项审批、备案、自行管理……）及条款依据、审核流程、意见、变更申请。"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.service import ServiceSpec, create_service_app
from libs.common.settings import ServiceSettings
from libs.policy import load_registry
from services.approval import decisions, events
from services.approval.api import router
from services.approval.models import Base, tenants
from services.approval.workflow.expiry import start_expiry_sweep


async def load_policies(app: FastAPI) -> None:
    """Load every policy pack at start-up: a pack that fails validation stops the service."""
    app.state.policies = load_registry(app.state.settings.policies_dir)
    # The consumer judges submitted projects with the very same packs.
    decisions.set_policies(app.state.policies)


SPEC = ServiceSpec(
    name="approval",
    title="GovProj 审批服务（approval）",
    description="政策判定（立项审批、备案、自行管理……）及条款依据、审核流程、意见、变更申请。",
    router=router,
    metadata=Base.metadata,
    tenants=tenants,
    handlers=events.HANDLERS,
    subjects=events.SUBJECTS,
    on_startup=(load_policies, start_expiry_sweep),
)


def create_app(settings: ServiceSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(SPEC, settings, **kwargs)  # type: ignore[arg-type]
