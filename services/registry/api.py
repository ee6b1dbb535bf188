"""The registry's routes: each aggregate's router, mounted under one router."""

from __future__ import annotations

from fastapi import APIRouter

from services.registry.catalog.api import router as catalog_router
from services.registry.notifications.api import router as notifications_router
from services.registry.oversight.api import router as oversight_router
from services.registry.plans.api import router as plans_router
from services.registry.projects.api import router as projects_router
from services.registry.tenants.api import router as tenants_router
from services.registry.units.api import router as units_router

router = APIRouter()
for _aggregate in (
    tenants_router,
    units_router,
    projects_router,
    catalog_router,
    plans_router,
    oversight_router,
    notifications_router,
):
    router.include_router(_aggregate)
