"""The registry's read-only use of the policy packs: validate facts, find plan windows.

The registry loads the same packs as the approval service (``policies/``) at
start-up so a unit learns of a wrong fact when it saves the project, not days
later from the decision. The decision itself stays the approval service's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import FastAPI, Request

from libs.common.deadlines import CHINA, today_in_china
from libs.common.errors import Problem
from libs.policy import (
    FactsError,
    NoPolicyInForce,
    Pack,
    PolicyRegistry,
    load_registry,
    validate_facts,
)

# The registry's modules say SHANGHAI and today(); both are the shared legal-date helpers.
SHANGHAI = CHINA
# Facts the registry establishes itself when it submits (never the unit's word).
REGISTRY_FACTS = ("systems", "in_annual_plan", "submitted_on")


today = today_in_china


async def load_policies(app: FastAPI) -> None:
    """Start-up hook: a pack that fails validation stops the service, as in approval."""
    app.state.policies = load_registry(app.state.settings.policies_dir)


def policies_of(request: Request) -> PolicyRegistry:
    reg: PolicyRegistry = request.app.state.policies
    return reg


def current_pack(policies: PolicyRegistry, tenant: str, on: date) -> Pack | None:
    """The pack in force on ``on``, else the tenant's latest one (facts keep their meaning)."""
    try:
        return policies.pack_for(tenant, on)
    except NoPolicyInForce:
        packs = policies.for_tenant(tenant)
        return max(packs, key=lambda p: p.validity.effective_from or date.min) if packs else None


def check_facts(policies: PolicyRegistry, tenant: str, raw: Mapping[str, Any]) -> int:
    """Validate a unit's facts against its tenant's pack; return the amount. 422 names the field."""
    for name in REGISTRY_FACTS:
        if name in raw:
            raise Problem.invalid(f"facts.{name}", "由登记服务确定，不能由申报单位填写")
    pack = current_pack(policies, tenant, today())
    if pack is None:
        raise Problem(
            422,
            "no_policy_in_force",
            "无适用的政策",
            f"facts: 辖区 {tenant} 没有政策包，无法校验项目事实",
            extra={"field": "facts"},
        )
    try:
        facts = validate_facts(pack, raw)
    except FactsError as exc:
        raise Problem.invalid(f"facts.{exc.field}", exc.message, code="invalid_facts") from exc
    return int(facts["amount"])


def plan_due(policies: PolicyRegistry, tenant: str, on: date) -> tuple[int, int, str] | None:
    """(month, day, article) of the pack's ``annual_plan_due``, or None when it sets none."""
    pack = current_pack(policies, tenant, on)
    if pack is None:
        return None
    for tl in pack.spec.time_limits:
        if tl.code == "annual_plan_due" and tl.date:
            param = pack.spec.parameters.get(tl.date)
            value = getattr(param, "value", None)
            if isinstance(value, str) and value.startswith("--"):
                month, day = value[2:].split("-")
                return int(month), int(day), tl.article
    return None
