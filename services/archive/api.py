"""archive routes, one router per domain."""

from __future__ import annotations

from fastapi import APIRouter

from services.archive.checks.api import router as checks_router
from services.archive.documents.api import router as documents_router
from services.archive.documents.official_api import router as official_router
from services.archive.packages.api import router as packages_router
from services.archive.retention.api import router as retention_router

router = APIRouter()
router.include_router(documents_router)
router.include_router(official_router)
router.include_router(packages_router)
router.include_router(checks_router)
router.include_router(retention_router)
