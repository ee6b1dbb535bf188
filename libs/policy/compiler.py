"""Compile a resolved pack once: conditions, band tables, templates, citation prefixes.

Evaluation is the hot path (thousands of decisions a second), so everything
that does not depend on the facts is done here: CEL programs compiled with the
parameters folded in as literals (converting a Python dict into a CEL map costs
more than evaluating the rule), bands resolved to integer intervals, explanation
templates pre-rendered up to their facts, citation prefixes built, and outcomes
that read no fact built once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

from libs.policy.compiled import (
    DEFAULT_ROUTES,
    BandStep,
    CompiledPack,
    Condition,
    DutyStep,
    RequirementStep,
    RouteSteps,
    ScopeStep,
    TableStep,
    TimeLimitStep,
    route_steps,
)
from libs.policy.decision import (
    RequirementOutcome,
    RouteOutcome,
    TimeLimitOutcome,
    TraceEntry,
    Waivable,
)
from libs.policy.errors import PackError
from libs.policy.expressions import RuleCompiler
from libs.policy.facts import CORE_FACTS, SYSTEM_DEFAULTS
from libs.policy.lint import lint_bands
from libs.policy.model import (
    Band,
    Document,
    PackSpec,
    Requirement,
    RouteTable,
    ScopeRule,
    TimeLimit,
)
from libs.policy.render import (
    Template,
    format_period,
    format_value,
    parse_month_day,
    parse_period,
)
from libs.vocab import (
    BASE_LABELS,
    FROM_LABELS,
    LIGHTNESS,
    REQUIREMENT_LABELS,
    ROUTE_LABELS,
    TIME_LIMIT_LABELS,
)

__all__ = ["compile_pack"]

_Outcome = TypeVar("_Outcome", RequirementOutcome, TimeLimitOutcome)


def _trace(key: str, article: str) -> tuple[TraceEntry, TraceEntry]:
    """The two trace entries a rule can produce, built once and shared (they are frozen)."""
    return (
        TraceEntry(rule=key, article=article, result=True),
        TraceEntry(rule=key, article=article, result=False),
    )


def _static_route(
    code: str,
    article: str,
    authority: str | None,
    prefix: str,
    template: Template,
    waivable: Waivable | None = None,
    options: list[str] | None = None,
) -> RouteOutcome | None:
    if template.facts:
        return None
    return RouteOutcome(
        code=code,
        article=article,
        authority=authority,
        explanation=prefix + template.render({}, authority),
        waivable_by=waivable,
        options=options or [],
    )


def _waiver_note(waivable: Waivable | None) -> str:
    """The words a softened rule adds to its explanation: who may decide otherwise."""
    if waivable is None:
        return ""
    return f"（可由{waivable.authority}决定例外，{waivable.article}）"


def _with_note(text: str, note: str) -> str:
    """Append a parenthesised note inside the sentence's full stop, if it has one."""
    if not note:
        return text
    if text.endswith("。"):
        return text[:-1] + note + "。"
    return text + note


def _fact_kinds(pack_id: str, spec: PackSpec) -> dict[str, str]:
    """Every fact a condition may read (core facts, then the pack's own) and its kind."""
    kinds: dict[str, str] = {n: k.rstrip("?") for n, (k, _) in CORE_FACTS.items()}
    for name, fd in spec.facts.items():
        if name in kinds or name in ("params", "route"):
            raise PackError(pack_id, f"facts.{name}", "redefines a core fact or reserved name")
        if fd.type == "enum" and not fd.values:
            raise PackError(pack_id, f"facts.{name}", "an enum needs values")
        kinds[name] = fd.type
    return kinds


def _scope_step(c: RuleCompiler, rule: ScopeRule) -> ScopeStep:
    w = f"scope.{rule.id}"
    cond = c.condition(w, rule.when, allow_route=False)
    c.depends(w, rule.when)
    authority = c.authority(w, rule.authority)
    waivable = c.waivable(w, rule.waivable_by, rule.article)
    subjects = c.subjects(w, rule.subjects, allow_route=False)
    prefix = c.prefix(w, rule.article)
    text = _with_note(rule.explanation, _waiver_note(waivable))
    template = c.template(w, text, subjects=subjects is not None)
    return ScopeStep(
        w,
        rule.article,
        cond,
        rule.route,
        authority,
        prefix,
        template,
        *_trace(w, rule.article),
        _static_route(rule.route, rule.article, authority, prefix, template, waivable),
        subjects if "subjects" in template.facts else None,
        waivable,
    )


def _band_options(c: RuleCompiler, where: str, band: Band) -> list[str]:
    """The stricter routes a unit may choose instead of the band's (可采取备案制管理)."""
    own = LIGHTNESS.get(band.route)
    for option in band.options:
        heavier = LIGHTNESS.get(option)
        if own is None or heavier is None or heavier <= own:
            raise PackError(
                c.pack, where, f"option {option} is not a stricter route than {band.route}"
            )
    return list(band.options)


def _option_note(options: list[str]) -> str:
    if not options:
        return ""
    return "（建设单位也可选择按" + "、".join(ROUTE_LABELS[o] for o in options) + "管理）"


def _table_step(c: RuleCompiler, table: RouteTable) -> TableStep:
    w = f"routes.{table.id}"
    if c.fact_kinds.get(table.input) not in ("amount", "int"):
        raise PackError(c.pack, w, f"input {table.input!r} is not an amount fact")
    kinds = {n: p.type for n, p in c.spec.parameters.items()}
    c.depends(w, table.when)
    bands = []
    for ib in lint_bands(c.pack, table, c.params, kinds, may_vanish=c.unset):
        b = ib.band
        bw = f"{w}.bands[{ib.index}]"
        for bound in (b.gte, b.gt, b.lte, b.lt):
            if isinstance(bound, str):
                c.depends(w, bound)
        article = b.article or table.article
        authority = c.authority(bw, b.authority)
        options = _band_options(c, bw, b)
        prefix = c.prefix(w, article)
        template = c.template(bw, _with_note(b.explanation, _option_note(options)))
        key = f"{w}.{b.id or f'bands[{ib.index}]'}"
        bands.append(
            BandStep(
                ib.lo,
                ib.hi,
                key,
                article,
                b.route,
                authority,
                prefix,
                template,
                _trace(key, article)[0],
                _static_route(b.route, article, authority, prefix, template, None, options),
                tuple(options),
            )
        )
    return TableStep(
        w,
        table.article,
        c.condition(w, table.when, allow_route=False),
        table.input,
        tuple(bands),
        *_trace(w, table.article),
    )


def _requirement_step(c: RuleCompiler, req: Requirement) -> RequirementStep:
    w = f"requirements.{req.id}"
    label = req.label or REQUIREMENT_LABELS.get(req.code, req.code)
    waivable = c.waivable(w, req.waivable_by, req.article)
    text = req.explanation or (f"须{label}" if req.mandatory else f"可按需{label}")
    text = _with_note(text, _waiver_note(waivable))
    cond = c.condition(w, req.when, allow_route=True)
    c.depends(w, req.when)
    authorities = c.spec.authorities
    authority = (
        c.authority(w, req.authority)
        if req.authority
        else (authorities[req.actor].name if req.actor in authorities else None)
    )
    also = [str(c.authority(w, key)) for key in req.also]
    subjects = c.subjects(w, req.subjects, allow_route=True)
    prefix = c.prefix(w, req.article)
    template = c.template(w, text, subjects=subjects is not None)
    fields = _outcome_fields(
        RequirementOutcome, req, authority=authority, waivable_by=waivable, also=also
    )
    static = None
    # {authority} falls back to the route's authority, known only at evaluation.
    if not template.facts and (authority is not None or "{authority}" not in text):
        static = RequirementOutcome(
            **(fields | {"explanation": prefix + template.render({}, authority)})
        )
    return _duty_step(w, req, cond, authority, prefix, template, static, fields, subjects)


def _outcome_fields(
    model: type[_Outcome], rule: Requirement | TimeLimit, **resolved: Any
) -> dict[str, Any]:
    """Every field of the rule's outcome, in the outcome's order: the rule's own values but
    those the compiler ``resolved`` (a parameter's value, an authority's name, ...). The
    explanation is left to render, per decision or once when no fact changes it."""
    own = {name: getattr(rule, name) for name in model.model_fields}
    return own | resolved | {"explanation": None}


def _duty_step(
    w: str,
    rule: Requirement | TimeLimit,
    cond: Condition,
    authority: str | None,
    prefix: str,
    template: Template,
    static: _Outcome | None,
    fields: dict[str, Any],
    subjects: Condition | None,
) -> DutyStep[_Outcome]:
    """The step of a requirement or a time limit whose outcome, or its fields, is prepared."""
    return DutyStep(
        w,
        rule.article,
        cond,
        frozenset(rule.routes) if rule.routes is not None else DEFAULT_ROUTES,
        authority,
        prefix,
        template,
        *_trace(w, rule.article),
        static,
        fields,
        subjects if "subjects" in template.facts else None,
        fields["waivable_by"],
    )


def compile_pack(
    pack_id: str,
    spec: PackSpec,
    params: Mapping[str, Any],
    cited: Callable[[str], Document],
    *,
    unset: frozenset[str] = frozenset(),
) -> CompiledPack:
    """Compile every condition, band table and template of a resolved pack.

    ``params`` holds the checked parameter values; ``cited(where)`` gives the
    document an item's article refers to (a parent's, for an inherited rule);
    ``unset`` names the authority-set parameters nobody has set yet (``params``
    then holds their ``unset_value``). Raises :class:`PackError` naming the item.
    """
    fact_kinds = _fact_kinds(pack_id, spec)
    c = RuleCompiler(pack_id, spec, params, fact_kinds, cited, unset)
    scope = tuple(_scope_step(c, rule) for rule in spec.scope)
    tables = tuple(_table_step(c, table) for table in spec.routes)
    requirements = tuple(_requirement_step(c, req) for req in spec.requirements)
    time_limits = tuple(_time_limit_step(c, tl) for tl in spec.time_limits)
    conditions = [s.cond for steps in (scope, tables, requirements, time_limits) for s in steps]
    # Read by every decision's CEL context: what the conditions run in CEL read but the
    # facts a key fixes (the subjects run only as their rule holds: they ensure theirs).
    in_context = {v for c in conditions if not c.remembered for v in c.variables - c.fixed}
    # Read after compiling: the compiler collects what the conditions mention.
    ordered = tuple(n for n in fact_kinds if n in c.variables)
    system_keys = tuple(k for k in ("id", *SYSTEM_DEFAULTS) if k in c.words)
    subject_keys = tuple(
        k for k in ("id", *SYSTEM_DEFAULTS) if k in c.words or k in c.subject_words
    )
    return CompiledPack(
        ordered,
        system_keys,
        subject_keys,
        c.uses_route,
        scope,
        tables,
        requirements,
        time_limits,
        fact_kinds,
        c.deps,
        _by_route(scope, tables, requirements, time_limits),
        any("systems" in c.variables and not c.remembered for c in conditions),
        tuple(n for n in ordered if n != "systems" and n in in_context),
        tuple(sorted({v for c in conditions if c.remembered for v in c.variables} - {"systems"})),
        tuple(n for n in ordered if n != "systems" and n not in in_context),
        tuple(c for c in conditions if c.fixed),
    )


def _by_route(
    scope: tuple[ScopeStep, ...],
    tables: tuple[TableStep, ...],
    requirements: tuple[RequirementStep, ...],
    time_limits: tuple[TimeLimitStep, ...],
) -> dict[str, RouteSteps]:
    """For every route a decision can reach, the requirements and time limits it walks."""
    routes = {rule.route for rule in scope}
    for table in tables:
        for band in table.bands:
            routes.add(band.route)
            routes.update(band.options)
    return {route: route_steps(requirements, time_limits, route) for route in sorted(routes)}


class _LimitValue(NamedTuple):
    """A time limit's value, resolved from its parameter and checked: exactly one is set."""

    period: str | None
    date: str | None
    ratio: str | None
    amount: int | None

    def text(self, working_days: bool) -> str:
        """The value as a person reads it (2年, 每年9月30日, 15%, 100万元)."""
        if self.period is not None:
            return format_period(self.period, working_days=working_days)
        if self.date is not None:
            return "每年" + format_value(self.date, "month_day")
        if self.ratio is not None:
            return format_value(self.ratio, "ratio")
        return format_value(self.amount, "amount")


def _limit_value(c: RuleCompiler, w: str, tl: TimeLimit) -> _LimitValue:
    """Resolve the one value a time limit sets (period, date, ratio or amount) and check it."""
    pid = c.pack
    period = c.param_ref(w, tl.period, ("period",))
    day = c.param_ref(w, tl.date, ("month_day",))
    ratio = c.param_ref(w, tl.ratio, ("ratio",))
    amount = c.param_ref(w, tl.amount, ("amount",))
    given = [v for v in (period, day, ratio, amount) if v is not None]
    if len(given) != 1:
        raise PackError(pid, w, "needs exactly one of period, date, ratio, amount")
    if period is not None and (not isinstance(period, str) or parse_period(period) is None):
        raise PackError(pid, w, f"period {period!r} is not ISO 8601 (P6M) nor a parameter")
    if tl.working_days and (period is None or not re.fullmatch(r"P\d+D", period)):
        raise PackError(pid, w, "working_days needs a period in days (P10D)")
    if day is not None and (not isinstance(day, str) or parse_month_day(day) is None):
        raise PackError(pid, w, f"date {day!r} is not --MM-DD nor a parameter")
    if amount is not None and (type(amount) is not int or amount < 0):
        raise PackError(pid, w, f"amount {amount!r} is not integer yuan nor a parameter")
    ratio_text: str | None = None
    if ratio is not None:
        ratio_text = str(ratio)
        try:
            float(ratio_text)
        except ValueError:
            raise PackError(pid, w, f"ratio {ratio!r} is not a decimal nor a parameter") from None
    return _LimitValue(period, day, ratio_text, amount)


def _time_limit_step(c: RuleCompiler, tl: TimeLimit) -> TimeLimitStep:
    w = f"time_limits.{tl.id}"
    value = _limit_value(c, w, tl)
    c.depends(
        w, tl.when, *(v for v in (tl.period, tl.date, tl.ratio, tl.amount) if isinstance(v, str))
    )
    if tl.until is not None and (tl.until not in FROM_LABELS or tl.until == "budget_year"):
        raise PackError(c.pack, w, f"until {tl.until!r} is not a lifecycle state")
    if tl.base is not None and (tl.base not in BASE_LABELS or value.ratio is None):
        raise PackError(c.pack, w, f"base {tl.base!r} needs a ratio and a code of BASE_LABELS")
    if tl.minimum and value.period is None and value.amount is None:
        raise PackError(c.pack, w, "minimum applies to a period or an amount")
    waivable = c.waivable(w, tl.waivable_by, tl.article)
    label = tl.label or TIME_LIMIT_LABELS.get(tl.code, tl.code)
    floor = "不少于" if tl.minimum else ""
    base = f"{BASE_LABELS[tl.base]}的" if tl.base else ""
    text = tl.explanation or f"{label}：{base}{floor}{value.text(tl.working_days)}"
    text = _with_note(text, _waiver_note(waivable))
    cond = c.condition(w, tl.when, allow_route=True)
    subjects = c.subjects(w, tl.subjects, allow_route=True)
    prefix = c.prefix(w, tl.article)
    template = c.template(w, text, subjects=subjects is not None)
    fields = _outcome_fields(TimeLimitOutcome, tl, **value._asdict(), waivable_by=waivable)
    static = None
    if not template.facts and "{authority}" not in text:
        static = TimeLimitOutcome(**(fields | {"explanation": prefix + template.render({}, None)}))
    return _duty_step(w, tl, cond, None, prefix, template, static, fields, subjects)
