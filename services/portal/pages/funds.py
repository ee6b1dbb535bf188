"""The project's funds after the finance review: one POST per budget-service write.

预算安排 is the finance office's; budget lines, adjustments, disbursements, usage
reports and surplus returns are the unit's (for its own projects) or the
bureau's (docs/adr/0008-authorization.md, ``budget.arrange`` / ``budget.write``).
The forms are drawn in templates/projects/_budget.html; after a write the
browser is sent back to the project page (POST-redirect-GET), which reads the
new state from the budget service.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.client import ApiError
from services.portal.pages.forms import FormErrors, form_key
from services.portal.pages.funds_forms import FORMS
from services.portal.pages.projects import project_page
from services.portal.web import CurrentUser, User

router = APIRouter(include_in_schema=False)


async def _refused(
    request: Request,
    user: User,
    project_id: str,
    name: str,
    message: str,
    status: int,
    form: dict[str, Any],
) -> Response:
    """The project page again, the message beside the form it belongs to, what was typed kept.

    The typed values go to that form only (the lifecycle forms have fields of the same names).
    """
    return await project_page(
        request,
        user,
        project_id,
        status=status,
        funds_error={"form": name, "message": message, "values": form},
    )


@router.post("/projects/{project_id}/funds/{name}")
async def funds_action(request: Request, user: CurrentUser, project_id: str, name: str) -> Response:
    if name not in FORMS:
        return await project_page(request, user, project_id, error="没有这个操作", status=404)
    spec = FORMS[name]
    user.require(*spec.roles)
    form = await request.form()
    typed = {k: str(v) for k, v in form.items()}
    try:
        # The checks read the budget as it is now (lines, balances), not as the page was drawn.
        budget = await user.api.get("budget", f"/v1/projects/{project_id}/budget")
        body = spec.build(form, budget)
        service, method, path = spec.endpoint
        await user.api.request(
            method, service, path.format(project_id=project_id), json=body, key=form_key(form)
        )
    except FormErrors as exc:
        return await _refused(request, user, project_id, name, exc.summary, 422, typed)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await _refused(request, user, project_id, name, exc.message, exc.status, typed)
    return RedirectResponse(f"/projects/{project_id}?notice=funds_{name}#funds-h", status_code=303)
