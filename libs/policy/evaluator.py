"""Evaluate a compiled pack: (pack, facts, date) -> Decision.

The hot path (thousands of decisions a second): the pack was compiled at load
(libs/policy/compiler.py), so a decision builds one ``cel.Context`` holding only
the facts the pack reads, walks the prepared rules and assembles the Decision
without pydantic validation (``decision.build``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import cel

from libs.policy.compiled import BandStep, CompiledPack, Condition, RequirementStep, TableStep
from libs.policy.decision import (
    Decision,
    ExceptionApplied,
    ParameterCitation,
    RequirementOutcome,
    RouteOutcome,
    TimeLimitOutcome,
    TraceEntry,
    Waivable,
    build,
)
from libs.policy.errors import EvaluationError
from libs.policy.facts import Facts
from libs.policy.pack import Pack
from libs.policy.parameters import Exemption
from libs.policy.render import format_value
from libs.policy.vocab import ROUTE_LABELS

__all__ = ["evaluate"]


class _Rendered(dict[str, str]):
    """Fact values rendered for explanations, computed on first use."""

    __slots__ = ("facts", "kinds")

    def __init__(self, facts: Mapping[str, Any], kinds: Mapping[str, str]) -> None:
        super().__init__()
        self.facts = facts
        self.kinds = kinds

    def __missing__(self, key: str) -> str:
        text = format_value(self.facts[key], self.kinds[key])
        self[key] = text
        return text


def _check(pack: Pack, cond: Condition, key: str, ctx: cel.Context) -> bool:
    if cond.constant is not None:
        return cond.constant
    assert cond.program is not None
    try:
        result = cond.program.execute(ctx)
    except Exception as exc:
        raise EvaluationError(
            pack.id, key, str(exc).splitlines()[0] if str(exc) else "error"
        ) from None
    if result is True or result is False:
        return result
    raise EvaluationError(pack.id, key, f"condition returned {result!r}, not a boolean")


def _subjects(pack: Pack, expr: Condition, key: str, ctx: cel.Context) -> str:
    """Run a rule's ``subjects`` expression: the items it is about, joined for reading."""
    assert expr.program is not None  # subjects are never constant
    try:
        items = expr.program.execute(ctx)
    except Exception as exc:
        raise EvaluationError(pack.id, key, f"subjects: {str(exc).splitlines()[0]}") from None
    if not isinstance(items, list):
        raise EvaluationError(pack.id, key, f"subjects returned {items!r}, not a list")
    return "、".join(format_value(i, "string") for i in items)


_ROUTE_FIELDS = set(RouteOutcome.model_fields)
_REQ_FIELDS = set(RequirementOutcome.model_fields)
_TL_FIELDS = set(TimeLimitOutcome.model_fields)
_DECISION_FIELDS = set(Decision.model_fields)
_NONE: Mapping[str, Exemption] = {}


def _context(cp: CompiledPack, values: Mapping[str, Any]) -> cel.Context:
    """One CEL context per decision, holding only what the pack's conditions read.

    Converting Python values costs ~1µs per scalar and ~3µs per string, so
    systems are cut down to the keys some condition mentions.
    """
    variables = {name: values[name] for name in cp.variables}
    if "systems" in variables:
        keys = cp.system_keys
        variables["systems"] = [{k: s[k] for k in keys} for s in variables["systems"]]
    return cel.Context(variables)


class _Run:
    """The state of one evaluation: the pack, the CEL context, the trace, the rendered facts."""

    __slots__ = ("ctx", "exceptions", "exempted", "pack", "rendered", "trace", "values")

    def __init__(self, pack: Pack, facts: Facts, exceptions: Mapping[str, Exemption]) -> None:
        self.pack = pack
        self.values = facts.values
        self.ctx = _context(pack.compiled, self.values)
        self.trace: list[TraceEntry] = []
        self.rendered = _Rendered(self.values, pack.compiled.fact_kinds)
        self.exceptions = exceptions
        self.exempted: list[ExceptionApplied] = []

    def waived(self, key: str, article: str, waivable: Waivable | None) -> bool:
        """Whether an exception was granted for this softened rule (recorded if so)."""
        if waivable is None or not self.exceptions:
            return False
        granted = self.exceptions.get(key)
        if granted is None:
            return False
        self.exempted.append(
            ExceptionApplied(
                rule=key,
                article=article,
                authority=granted.authority,
                reason=granted.reason,
                granted_on=granted.granted_on,
            )
        )
        return True

    def holds(self, cond: Condition, key: str) -> bool:
        return _check(self.pack, cond, key, self.ctx)

    def subjects(self, expr: Condition | None, key: str) -> None:
        if expr is not None:
            self.rendered["subjects"] = _subjects(self.pack, expr, key, self.ctx)


def _scope_route(run: _Run) -> RouteOutcome | None:
    """The first scope rule that holds decides the route; None when none does."""
    add = run.trace.append
    for rule in run.pack.compiled.scope:
        if not run.holds(rule.cond, rule.key) or run.waived(rule.key, rule.article, rule.waivable):
            add(rule.miss)
            continue
        add(rule.hit)
        run.subjects(rule.subjects, rule.key)
        return rule.outcome or build(
            RouteOutcome,
            _ROUTE_FIELDS,
            {
                "code": rule.route,
                "article": rule.article,
                "authority": rule.authority,
                "explanation": rule.prefix + rule.template.render(run.rendered, rule.authority),
                "waivable_by": rule.waivable,
                "options": [],
            },
        )
    return None


def _band_route(run: _Run, table: TableStep) -> RouteOutcome | None:
    """The band of an applicable table that holds the input amount."""
    value = run.values[table.input]
    for band in table.bands:
        if band.lo <= value and (band.hi is None or value <= band.hi):
            run.trace.append(band.hit)
            choice = run.values.get("route_choice")
            if choice is not None and choice in band.options:
                return _chosen_route(band, choice)
            return band.outcome or build(
                RouteOutcome,
                _ROUTE_FIELDS,
                {
                    "code": band.route,
                    "article": band.article,
                    "authority": band.authority,
                    "explanation": band.prefix + band.template.render(run.rendered, band.authority),
                    "waivable_by": None,
                    "options": list(band.options),
                },
            )
    return None


def _chosen_route(band: BandStep, choice: str) -> RouteOutcome:
    """The stricter route the unit chose where the band lets it choose."""
    return build(
        RouteOutcome,
        _ROUTE_FIELDS,
        {
            "code": choice,
            "article": band.article,
            "authority": band.authority,
            "explanation": band.prefix
            + f"本项目可按{ROUTE_LABELS[band.route]}管理，建设单位选择按{ROUTE_LABELS[choice]}管理",
            "waivable_by": None,
            "options": [],
        },
    )


def _table_route(run: _Run) -> RouteOutcome | None:
    """The first applicable route table decides (tables never both apply)."""
    add = run.trace.append
    for table in run.pack.compiled.tables:
        if not run.holds(table.cond, table.key):
            add(table.miss)
            continue
        add(table.hit)
        return _band_route(run, table)
    return None


def _holds_fast(run: _Run, req: RequirementStep) -> bool:
    # _check inlined: this runs for most rules of a pack, on every decision.
    cond = req.cond
    if cond.program is None:
        return bool(cond.constant)
    try:
        hit = cond.program.execute(run.ctx)
    except Exception:
        return _check(run.pack, cond, req.key, run.ctx)  # re-run to raise EvaluationError
    if hit is not True and hit is not False:
        return _check(run.pack, cond, req.key, run.ctx)
    return hit


def _requirements(run: _Run, route: RouteOutcome) -> list[RequirementOutcome]:
    """Every requirement of the route whose condition holds, in the pack's order."""
    out: list[RequirementOutcome] = []
    add = run.trace.append
    code = route.code
    for req in run.pack.compiled.requirements:
        if code not in req.routes:
            continue
        if not _holds_fast(run, req) or run.waived(req.key, req.article, req.waivable):
            add(req.miss)
            continue
        add(req.hit)
        run.subjects(req.subjects, req.key)
        authority = req.authority or route.authority
        out.append(
            req.outcome
            or build(
                RequirementOutcome,
                _REQ_FIELDS,
                {
                    "code": req.code,
                    "mandatory": req.mandatory,
                    "stage": req.stage,
                    "actor": req.actor,
                    "authority": req.authority,
                    "order": req.order,
                    "article": req.article,
                    "explanation": req.prefix + req.template.render(run.rendered, authority),
                    "waivable_by": req.waivable,
                    "also": list(req.also),
                },
            )
        )
    return out


def _time_limits(run: _Run, route: RouteOutcome) -> list[TimeLimitOutcome]:
    """Every time limit of the route whose condition holds, in the pack's order."""
    out: list[TimeLimitOutcome] = []
    add = run.trace.append
    code = route.code
    for tl in run.pack.compiled.time_limits:
        if code not in tl.routes:
            continue
        if not run.holds(tl.cond, tl.key) or run.waived(tl.key, tl.article, tl.waivable):
            add(tl.miss)
            continue
        add(tl.hit)
        run.subjects(tl.subjects, tl.key)
        out.append(
            tl.outcome
            or build(
                TimeLimitOutcome,
                _TL_FIELDS,
                {
                    "code": tl.code,
                    "from_": tl.from_,
                    "until": tl.until,
                    "period": tl.period,
                    "working_days": tl.working_days,
                    "date": tl.date,
                    "ratio": tl.ratio,
                    "amount": tl.amount,
                    "article": tl.article,
                    "explanation": tl.prefix + tl.template.render(run.rendered, route.authority),
                    "waivable_by": tl.waivable,
                    "minimum": tl.minimum,
                    "base": tl.base,
                },
            )
        )
    return out


def _parameters(run: _Run) -> tuple[list[ParameterCitation], list[str]]:
    """The authority-set parameters the checked rules read: cited, or reasons to be provisional."""
    deps = run.pack.compiled.bureau_deps
    if not deps:
        return [], []
    used: set[str] = set()
    for entry in run.trace:
        names = deps.get(entry.rule)
        if names:
            used |= names
    pack = run.pack
    citations: list[ParameterCitation] = []
    reasons: list[str] = []
    for name in sorted(used):
        spec = pack.spec.parameters[name]
        set_by = pack.spec.authorities[str(spec.set_by)].name
        setting = pack.settings.get(name)
        if setting is None:
            reasons.append(
                f"{spec.label}（{spec.article}）尚未由{set_by}设定，本判定按尚未设定处理，为暂定结论"
                + (f"：{spec.unset_note}" if spec.unset_note else "")
            )
        citations.append(
            ParameterCitation(
                name=name,
                label=spec.label,
                article=spec.article,
                set_by=set_by,
                value=None if setting is None else setting.value,
                document=None if setting is None else setting.document,
                document_date=None if setting is None else setting.document_date,
                effective_from=None if setting is None else setting.effective_from,
            )
        )
    return citations, reasons


def evaluate(
    pack: Pack,
    facts: Facts,
    on: date,
    *,
    exceptions: Mapping[str, Exemption] | None = None,
) -> Decision:
    """Judge ``facts`` by ``pack``: route, requirements, time limits and the full trace.

    A pure function: the same pack, facts, date and exceptions always give the
    same decision. ``on`` is recorded as ``evaluated_on``; choosing the pack for a
    date is :meth:`PolicyRegistry.pack_for`'s job, binding authority-set
    parameters :func:`libs.policy.bind.bind_parameters`'s. ``exceptions`` (by rule
    key) lift softened rules (``waivable_by``) for this project. Raises
    :class:`EvaluationError` if no scope rule or route table decides.
    """
    run = _Run(pack, facts, exceptions or _NONE)
    route = _scope_route(run) or _table_route(run)
    if route is None:
        raise EvaluationError(pack.id, "routes", "no scope rule or route table applies")
    if pack.compiled.uses_route:
        run.ctx.add_variable("route", route.code)
    requirements = _requirements(run, route)
    time_limits = _time_limits(run, route)
    citations, unset = _parameters(run)
    reasons = [*pack.base_reasons, *unset]
    return build(
        Decision,
        _DECISION_FIELDS,
        {
            "tenant": pack.tenant,
            "policy": pack.policy_ref,
            "evaluated_on": on,
            "provisional": bool(reasons),
            "route": route,
            "requirements": requirements,
            "time_limits": time_limits,
            "trace": run.trace,
            "provisional_reasons": reasons,
            "parameters": citations,
            "exceptions": run.exempted,
        },
    )
