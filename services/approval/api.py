"""approval routes."""

from __future__ import annotations

from fastapi import APIRouter

from services.approval.decisions import router as decisions_router
from services.approval.policy_api import router as policy_router
from services.approval.workflow.api import router as workflow_router

router = APIRouter()
router.include_router(policy_router)
router.include_router(decisions_router)
router.include_router(workflow_router)
