"""例外决定: the authority a softened rule (原则上、一般) names lifts it for one project.

Which rules may be lifted, and by whom, is the pack's (``waivable_by``, e.g. 坡头区
第八条 “……原则上不予立项”, 区政务服务数据管理局). The exception is recorded
before the project is submitted (approval POST /v1/policy/exceptions) and the
decision then honours it; the console offers the rules of the pack that will
judge the project, read from its copy of policies/ as the policy pages do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.common.deadlines import today_in_china
from libs.policy import NoPolicyInForce
from libs.vocab import FORM_FIELDS, label
from services.portal.client import answer_or_message
from services.portal.pages.forms import Invalid, choice, form_key, new_key, text
from services.portal.pages.policy import packs_of
from services.portal.pages.project_actions import on_project_page
from services.portal.pages.projects import READERS
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)


def waivable_rules(request: Request, tenant: str) -> list[dict[str, str]]:
    """The softened rules of the pack judging ``tenant``'s submissions today, as people read them."""
    try:
        pack = packs_of(request).pack_for(tenant, today_in_china())
    except NoPolicyInForce:
        return []
    compiled = pack.compiled
    found = []
    for kind, steps in (
        ("route", compiled.scope),
        ("requirement", compiled.requirements),
        ("time_limit", compiled.time_limits),
    ):
        for step in steps:
            if step.waivable is None:
                continue
            what = step.route if kind == "route" else step.code  # type: ignore[union-attr]
            found.append(
                {
                    "rule": step.key,
                    "article": step.article,
                    "what": label(kind, what),  # type: ignore[arg-type]
                    "authority": step.waivable.authority,
                    "role": step.waivable.role,
                }
            )
    return found


async def _granted(user: User, project_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = await user.api.get("approval", "/v1/policy/exceptions")
    return [e for e in listed if e["project_id"] == project_id]


@router.get("/projects/{project_id}/exceptions", response_class=HTMLResponse)
async def project_exceptions(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    """The exceptions granted for the project, and the form for the authority a rule names."""
    user.require(*READERS)
    project = await user.api.get("registry", f"/v1/projects/{project_id}")
    granted, error = await answer_or_message(_granted(user, project_id), [])
    done = {e["rule"] for e in granted}
    rules = [
        r
        for r in waivable_rules(request, project["tenant_id"])
        if r["rule"] not in done and user.has(r["role"]) and project["tenant_id"] == user.tenant
    ]
    return render(
        request,
        "projects/_exceptions.html",
        user,
        project=project,
        granted=granted,
        rules=rules if project["state"] == "draft" else [],
        exceptions_error=error,
        form_key=new_key(),
    )


@router.post("/projects/{project_id}/exceptions", response_class=HTMLResponse)
async def grant_exception(request: Request, user: CurrentUser, project_id: str) -> Response:
    """决定例外 with a written reason (approval POST /v1/policy/exceptions)."""
    user.require(*READERS)
    form = await request.form()

    async def act() -> None:
        project = await user.api.get("registry", f"/v1/projects/{project_id}")
        rules = {r["rule"]: r for r in waivable_rules(request, project["tenant_id"])}
        rule = choice(form, "rule", "决定例外的条款", tuple(rules))
        reason = text(form, "reason", "书面理由")
        if reason is not None and len(reason) < 4:
            raise Invalid("书面理由至少4个字")
        body = {
            "project_id": project_id,
            "project_name": project["name"],
            "rule": rule,
            "reason": reason,
        }
        await user.api.post("approval", "/v1/policy/exceptions", body, key=form_key(form))

    return await on_project_page(
        request, user, project_id, form, act, notice="exception", fields=FORM_FIELDS["exception"]
    )
