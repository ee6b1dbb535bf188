"""The console's pages, one module per area of work."""

from __future__ import annotations

from fastapi import APIRouter

from services.portal.pages import (
    archive,
    audit,
    budget,
    dashboard,
    documents,
    funds,
    home,
    lifecycle,
    notifications,
    plans,
    policy,
    projects,
    tasks,
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
    funds.router,
    plans.router,
    dashboard.router,
    policy.router,
    notifications.router,
)
