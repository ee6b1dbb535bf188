"""The console's pages, one module per area of work."""

from __future__ import annotations

from fastapi import APIRouter

from services.portal.pages import (
    acceptance_documents,
    admin,
    archive,
    archive_custody,
    audit,
    budget,
    catalog,
    dashboard,
    deadlines,
    documents,
    exceptions,
    exports,
    funds,
    home,
    lifecycle,
    notifications,
    official,
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
    archive_custody.router,
    audit.router,
    tasks.router,
    budget.router,
    funds.router,
    plans.router,
    dashboard.router,
    policy.router,
    official.router,
    acceptance_documents.router,
    exports.router,
    notifications.router,
    catalog.router,
    procurement.router,
    deadlines.router,
    units.router,
    admin.router,
    parameters.router,
    exceptions.router,
)
