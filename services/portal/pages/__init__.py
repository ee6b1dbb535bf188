"""The console's pages, one module per area of work."""

from __future__ import annotations

from fastapi import APIRouter

from services.portal.pages import (
    admin,
    archive,
    audit,
    budget,
    catalog,
    dashboard,
    deadlines,
    documents,
    exceptions,
    home,
    lifecycle,
    parameters,
    plans,
    policy,
    procurement,
    projects,
    tasks,
    units,
)

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    projects.router,
    lifecycle.router,
    documents.router,
    archive.router,
    audit.router,
    tasks.router,
    budget.router,
    plans.router,
    dashboard.router,
    policy.router,
    catalog.router,
    procurement.router,
    deadlines.router,
    units.router,
    admin.router,
    parameters.router,
    exceptions.router,
)
