"""Budget routes (all under ``/v1``, bearer token, problem+json errors with Chinese titles).

API note for callers (tests of other services included)
-------------------------------------------------------
The budget service learns a project from ``govproj.approval.project.decided.v1``
(``self_managed`` counts as approved at once) and ``approved.v1`` / ``filed.v1``;
until then the project is 404 here. Writes take an optional ``Idempotency-Key``.

``POST /v1/projects/{id}/procurement``  (unit_officer or bureau_officer)
    body ``{"method": "public_tender", "started_on": "2027-03-01"}``; methods:
    public_tender, invitational_tender, competitive_negotiation,
    competitive_consultation, single_source, inquiry, framework_agreement,
    self_procurement. 201 ``{id, project_id, submission, method, started_on}``;
    409 ``project_not_approved`` (title 项目未立项或备案，不能启动采购) unless the
    project is approved or filed (a second start is 409 too). Emits
    ``govproj.budget.project.procurement_started.v1`` {tenant, project_id,
    submission, procurement_id, method, started_on, reason}: registry → procuring.
``POST /v1/projects/{id}/contracts``  (unit_officer or bureau_officer)
    body ``{"supplier": "某公司", "amount": 780000, "signed_on": "2027-04-01",
    "document_id": "<archive document uuid>"}`` (amount: integer yuan > 0).
    201 ``{id, project_id, submission, supplier, amount, signed_on, document_id}``;
    409 ``procurement_not_started`` before procurement. Emits
    ``govproj.budget.project.contracted.v1`` {tenant, project_id, submission,
    contract_id, supplier, amount, signed_on, document_id, reason}: registry →
    implementing (the first contract; later ones only record).
``GET /v1/projects/{id}/procurement``, ``GET /v1/projects/{id}/contracts``,
``GET /v1/projects/{id}/budget``: what was recorded; the last is the project's
budget as finance sees it (status, amounts).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from libs.common.auth import CurrentSubject
from libs.common.http import problem_responses
from libs.common.service import DbSession
from services.budget.procurement import router as procurement_router
from services.budget.projects import require_project

budget_router = APIRouter(prefix="/v1")


@budget_router.get(
    "/projects/{project_id}/budget",
    tags=["budget"],
    summary="项目预算概况（状态、申报金额、批复金额）",
    responses=problem_responses(),
)
async def get_budget(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    project = await require_project(session, project_id)
    return {
        "project_id": str(project.id),
        "tenant": project.tenant_id,
        "submission": project.submission,
        "status": project.status,
        "route": project.route,
        "amount": project.amount,
        "approved_amount": project.approved_amount,
        "approval": project.approval,
    }


router = APIRouter()
router.include_router(procurement_router)
router.include_router(budget_router)
