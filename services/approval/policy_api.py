"""Policy endpoints: evaluate a project's facts, read the packs of visible tenants."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.common.auth import CurrentSubject
from libs.common.deadlines import today_in_china
from libs.common.errors import Problem
from libs.common.http import problem_responses
from libs.policy import FactsError, NoPolicyInForce, Pack, PolicyRegistry, evaluate, validate_facts

router = APIRouter(prefix="/v1", tags=["policy"])


PROBLEMS = problem_responses(s422="项目事实不合法，或申报日无适用的政策")


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="判定所依据的辖区；默认为调用者所在辖区"
    )
    facts: dict[str, Any] = Field(
        description="项目事实（vocabulary.md 中的代码），submitted_on 决定适用的政策版本"
    )


def registry_of(request: Request) -> PolicyRegistry:
    reg: PolicyRegistry = request.app.state.policies
    return reg


def _summary(pack: Pack) -> dict[str, Any]:
    doc = pack.document
    validity = pack.validity
    return {
        "id": pack.id,
        "tenant": pack.tenant,
        "name": pack.name,
        "status": pack.status,
        "extends": pack.parent.id if pack.parent else None,
        "document": doc.model_dump(mode="json"),
        "validity": validity.model_dump(mode="json"),
        "sha256": pack.policy_ref.sha256,
    }


def _check_visible(subject: Any, tenant: str) -> None:
    if tenant not in subject.visible_tenants:
        # Another jurisdiction's decisions are not ours to compute: answer like a missing tenant.
        raise Problem.not_found("辖区", tenant)


@router.post(
    "/policy/evaluate",
    summary="按政策包判定项目（立项审批 / 备案 / 自行管理……）",
    responses=PROBLEMS,
)
async def evaluate_facts(
    request: Request,
    subject: CurrentSubject,
    body: Annotated[EvaluateRequest, Body()],
) -> dict[str, Any]:
    tenant = body.tenant or subject.tenant
    _check_visible(subject, tenant)
    reg = registry_of(request)
    raw = dict(body.facts)
    submitted = raw.get("submitted_on")
    try:
        on = date.fromisoformat(submitted) if isinstance(submitted, str) else today_in_china()
    except ValueError as exc:
        raise Problem(
            422,
            "invalid_facts",
            "项目事实不合法",
            f"submitted_on: 不是有效日期：{submitted!r}",
            extra={"field": "submitted_on"},
        ) from exc
    raw.setdefault("submitted_on", on.isoformat())
    try:
        pack = reg.pack_for(tenant, on)
        facts = validate_facts(pack, raw)
    except NoPolicyInForce as exc:
        raise Problem(
            422,
            "no_policy_in_force",
            "无适用的政策",
            str(exc),
            extra={"tenant": exc.tenant, "date": exc.on.isoformat()},
        ) from exc
    except FactsError as exc:
        raise Problem(
            422, "invalid_facts", "项目事实不合法", str(exc), extra={"field": exc.field}
        ) from exc
    decision = evaluate(pack, facts, on)
    result: dict[str, Any] = decision.model_dump(mode="json")
    return result


@router.get("/policies", summary="可见辖区的政策包", responses=PROBLEMS)
async def list_policies(request: Request, subject: CurrentSubject) -> list[dict[str, Any]]:
    reg = registry_of(request)
    return [_summary(p) for p in reg if p.tenant in subject.visible_tenants]


@router.get("/policies/{pack_id}", summary="查看政策包（逐条）", responses=PROBLEMS)
async def get_policy(pack_id: str, request: Request, subject: CurrentSubject) -> dict[str, Any]:
    reg = registry_of(request)
    if pack_id not in reg:
        raise Problem.not_found("政策包", pack_id)
    pack = reg.get(pack_id)
    if pack.tenant not in subject.visible_tenants:
        raise Problem.not_found("政策包", pack_id)
    return {**_summary(pack), "pack": pack.spec.model_dump(mode="json", exclude_none=True)}
