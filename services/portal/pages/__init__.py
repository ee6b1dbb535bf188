"""The console's pages, one module per area of work."""

from __future__ import annotations

from fastapi import APIRouter

from services.portal.pages import (
    archive,
    archive_custody,
    audit,
    budget,
    dashboard,
    documents,
    exports,
    funds,
    home,
    lifecycle,
    notifications,
    official,
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
    archive_custody.router,
    audit.router,
    tasks.router,
    budget.router,
    funds.router,
    plans.router,
    dashboard.router,
    policy.router,
    official.router,
    exports.router,
    notifications.router,
)
