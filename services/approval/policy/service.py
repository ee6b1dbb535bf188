"""Judging facts on request, and the packs a caller may read (no HTTP, no I/O).

Evaluating here stores nothing: it answers "what would the decision be" for the
console and for integrators; the decision that counts is made when the project
is submitted (:mod:`services.approval.decisions.service`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from libs.common.deadlines import today_in_china
from libs.common.errors import NotFound, Problem
from libs.common.reads import from_row
from libs.policy import (
    Decision,
    FactsError,
    NoPolicyInForce,
    Pack,
    PolicyRegistry,
    evaluate,
    validate_facts,
)
from libs.policy.bind import bind_in_force
from libs.policy.parameters import ParameterSetting
from services.approval.policy.schemas import PolicyRead, PolicySummary


def _submitted_on(raw: dict[str, Any]) -> date:
    submitted = raw.get("submitted_on")
    if not isinstance(submitted, str):
        return today_in_china()
    try:
        return date.fromisoformat(submitted)
    except ValueError as exc:
        raise Problem(
            422,
            "invalid_facts",
            "项目事实不合法",
            f"submitted_on: 不是有效日期：{submitted!r}",
            extra={"field": "submitted_on"},
        ) from exc


def judge(
    policies: PolicyRegistry,
    tenant: str,
    facts: dict[str, Any],
    *,
    settings: Sequence[ParameterSetting] = (),
) -> Decision:
    """The decision ``facts`` would get in ``tenant`` on their ``submitted_on`` (default today)."""
    raw = dict(facts)
    on = _submitted_on(raw)
    raw.setdefault("submitted_on", on.isoformat())
    try:
        pack = bind_in_force(policies.pack_for(tenant, on), settings, on)
        checked = validate_facts(pack, raw)
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
    return evaluate(pack, checked, on)


def summary(pack: Pack) -> PolicySummary:
    return from_row(
        PolicySummary,
        pack,
        extends=pack.parent.id if pack.parent else None,
        sha256=pack.policy_ref.sha256,
    )


def readable(policies: PolicyRegistry, visible: Iterable[str]) -> list[PolicySummary]:
    """The packs of the jurisdictions the caller sees."""
    tenants = set(visible)
    return [summary(p) for p in policies if p.tenant in tenants]


def read(policies: PolicyRegistry, pack_id: str, visible: Iterable[str]) -> PolicyRead:
    """One pack, rule by rule; another jurisdiction's answers like a missing one."""
    if pack_id not in policies or policies.get(pack_id).tenant not in set(visible):
        raise NotFound("政策包", pack_id)
    pack = policies.get(pack_id)
    return PolicyRead(
        **summary(pack).model_dump(),
        pack=pack.spec.model_dump(mode="json", exclude_none=True),
    )
