"""The approval service's routes: each aggregate's router, mounted here and nowhere else."""

from __future__ import annotations

from fastapi import APIRouter

from services.approval.changes.api import router as changes_router
from services.approval.decisions.api import router as decisions_router
from services.approval.discretion.api import router as discretion_router
from services.approval.documents.api import router as documents_router
from services.approval.policy.api import router as policy_router
from services.approval.reports.api import router as reports_router
from services.approval.workflow.api import router as workflow_router

router = APIRouter()
for aggregate in (
    policy_router,
    decisions_router,
    workflow_router,
    documents_router,
    changes_router,
    reports_router,
    discretion_router,
):
    router.include_router(aggregate)
