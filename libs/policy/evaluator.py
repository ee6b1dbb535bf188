"""Evaluate a compiled pack: (pack, facts, date) -> Decision.

The hot path (tens of thousands of decisions a second): the pack was compiled at
load (libs/policy/compiler.py), so a decision builds one ``cel.Context`` holding
only the facts its always-run conditions read, walks the prepared rules of its
route in one loop and assembles the Decision without pydantic validation
(``decision.build``). Converting Python values into CEL values is what costs
most, so the rules over systems are remembered per pack (:meth:`_Run.remembered`),
the rules over flags and enums keep their results by the values they read
(:meth:`_Run.keyed`), and the facts of either join the context only when one of
them must run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import date
from operator import itemgetter
from typing import Any, TypeVar

import cel

from libs.policy.compiled import (
    BandStep,
    CompiledPack,
    Condition,
    DutyStep,
    RequirementStep,
    ScopeStep,
    TableStep,
    TimeLimitStep,
)
from libs.policy.decision import (
    Decision,
    ExceptionApplied,
    ParameterCitation,
    RequirementOutcome,
    RouteOutcome,
    TimeLimitOutcome,
    TraceEntry,
    build,
)
from libs.policy.errors import EvaluationError
from libs.policy.facts import Facts
from libs.policy.pack import Pack
from libs.policy.parameters import Exemption
from libs.policy.render import format_value
from libs.vocab import ROUTE_LABELS

__all__ = ["evaluate"]

_Outcome = TypeVar("_Outcome", RequirementOutcome, TimeLimitOutcome)


class _Rendered(dict[str, str]):
    """Fact values rendered for explanations, computed on first use."""

    __slots__ = ("facts", "kinds")

    def __init__(self, facts: Mapping[str, Any], kinds: Mapping[str, str]) -> None:
        # No dict.__init__: the dict starts empty, and the call costs every decision.
        self.facts = facts
        self.kinds = kinds

    def __missing__(self, key: str) -> str:
        text = format_value(self.facts[key], self.kinds[key])
        self[key] = text
        return text


def _check(pack: Pack, cond: Condition, key: str, ctx: cel.Context) -> bool:
    """Run a condition, naming the rule in the error when it fails or gives no boolean."""
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
_MEMO_SIZE = 4096  # remembered results per pack; cleared when full (distinct projects)
_GETTERS: dict[tuple[str, ...], Callable[[Mapping[str, Any]], tuple[Any, ...]]] = {}


def _systems(systems: list[Mapping[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{k: s[k] for k in keys} for s in systems]


def _getter(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A C-speed reader of ``names`` from a mapping, always giving a tuple."""
    getter = _GETTERS.get(names)
    if getter is None:
        if len(names) > 1:
            getter = _GETTERS[names] = itemgetter(*names)
        else:
            getter = _GETTERS[names] = lambda m: tuple(m[n] for n in names)
    return getter


def _remembered_results(cp: CompiledPack, values: Mapping[str, Any]) -> dict[Condition, bool]:
    """The pack's remembered results for the systems and facts of one decision (filled as run)."""
    systems = tuple(map(_getter(cp.system_keys), values["systems"]))
    facts = _getter(cp.remembered_facts)(values)
    # Validated facts are scalars or lists of scalars, each fact always of one type
    # (so True and 1 never meet in one place of the key).
    memo_key = (systems, *[tuple(v) if type(v) is list else v for v in facts])
    results = cp.memo.get(memo_key)
    if results is None:
        if len(cp.memo) >= _MEMO_SIZE:
            cp.memo.clear()
        results = cp.memo[memo_key] = {}
    return results


def _context(cp: CompiledPack, values: Mapping[str, Any]) -> cel.Context:
    """One CEL context per decision, holding only what the always-run conditions read.

    Converting Python values is what a decision mostly pays for (a string, list
    or map key costs several failed type probes in the binding, about 1µs), so
    the systems, the dearest, stay out unless a condition that is not remembered
    reads them (:meth:`_Run.with_systems` adds them when one must run), and so do
    the facts only keyed or remembered conditions read (:meth:`_Run.ensure`): a
    context changed after a program ran on it costs the binding a rebuild.
    """
    names = cp.context_facts
    variables = dict(zip(names, _getter(names)(values), strict=True))
    if cp.eager_systems:
        variables["systems"] = _systems(values["systems"], cp.system_keys)
    return cel.Context(variables)


_Explained = ScopeStep | BandStep | RequirementStep | TimeLimitStep


class _Run:
    """The state of one evaluation: the pack, the CEL context, the trace, the rendered facts."""

    __slots__ = (
        "ctx",
        "exceptions",
        "exempted",
        "lazy_in",
        "memo",
        "pack",
        "rendered",
        "subjects",
        "systems_in",
        "trace",
        "values",
    )

    def __init__(self, pack: Pack, facts: Facts, exceptions: Mapping[str, Exemption]) -> None:
        cp = pack.compiled
        self.pack = pack
        self.values = facts.values
        self.ctx = _context(cp, self.values)
        self.trace: list[TraceEntry] = []
        self.rendered = _Rendered(self.values, cp.fact_kinds)
        self.exceptions = exceptions
        self.exempted: list[ExceptionApplied] = []
        self.subjects: dict[str, str] = {}  # what each holding rule is about, by rule key
        # Which system keys the context holds (None: no systems yet).
        self.systems_in = cp.system_keys if cp.eager_systems else None
        self.memo: dict[Condition, bool] | None = None  # the remembered results for these facts
        self.lazy_in = False  # whether the context holds the pack's lazy facts yet

    def waived(self, step: ScopeStep | RequirementStep | TimeLimitStep) -> bool:
        """Whether an exception was granted for this softened rule (recorded if so)."""
        if step.waivable is None or not self.exceptions:
            return False
        granted = self.exceptions.get(step.key)
        if granted is None:
            return False
        self.exempted.append(
            ExceptionApplied(
                rule=step.key,
                article=step.article,
                authority=granted.authority,
                reason=granted.reason,
                granted_on=granted.granted_on,
            )
        )
        return True

    def remembered(self, cond: Condition, key: str) -> bool:
        """A condition that walks the systems: run once per pack for the values it reads."""
        results = self.memo
        if results is None:
            results = self.memo = _remembered_results(self.pack.compiled, self.values)
        hit = results.get(cond)
        if hit is None:
            self.ensure(cond)
            self.with_systems(self.pack.compiled.system_keys)
            hit = results[cond] = _check(self.pack, cond, key, self.ctx)
        return hit

    def keyed(self, cond: Condition, value: Hashable, key: str) -> bool:
        """A keyed condition not yet run for ``value`` (the values it reads): run and keep it."""
        self.ensure(cond)
        hit = _check(self.pack, cond, key, self.ctx)
        if len(cond.results) >= _MEMO_SIZE:
            cond.results.clear()
        cond.results[value] = hit
        return hit

    def residual(self, cond: Condition, key: str) -> bool:
        """A condition over amounts and few-valued facts: its program for their values run.

        The residual reads only what the context holds; should it fail or give no
        boolean, the whole program runs on the whole facts to say why (:func:`_check`).
        """
        residuals = cond.residuals
        assert cond.residual_key is not None and cond.specialize is not None
        value = cond.residual_key(self.values)
        program = residuals.get(value)
        if program is None:
            if len(residuals) >= _MEMO_SIZE:
                residuals.clear()
            program = residuals[value] = cond.specialize(value)
        try:
            hit = program.execute(self.ctx)
        except Exception:
            hit = None
        if hit is True or hit is False:
            return hit
        self.ensure(cond)
        return _check(self.pack, cond, key, self.ctx)

    def ensure(self, cond: Condition) -> None:
        """Before ``cond`` runs: put the lazy facts in the context if it reads one.

        All of them at once: changing a context after a program ran on it costs
        the binding ~5µs whatever is added, so a decision pays that at most once.
        """
        lazy = self.pack.compiled.lazy_facts
        if not self.lazy_in and not cond.variables.isdisjoint(lazy):
            values = self.values
            self.ctx.update({name: values[name] for name in lazy})
            self.lazy_in = True

    def with_systems(self, keys: tuple[str, ...]) -> None:
        """Put the systems, cut down to ``keys``, in the context (once, unless more keys)."""
        held = self.systems_in
        if held is keys or (held is not None and set(keys) <= set(held)):
            return
        self.ctx.add_variable("systems", _systems(self.values["systems"], keys))
        self.systems_in = keys

    def name_subjects(self, step: ScopeStep | RequirementStep | TimeLimitStep) -> None:
        """Run a holding rule's ``subjects`` when it holds (the order errors surface in)."""
        expr = step.subjects
        assert expr is not None
        lazy = self.pack.compiled.lazy_facts
        if not self.lazy_in and not expr.variables.isdisjoint(lazy):
            # Only what it reads: a holding rule is rare, the lazy facts are many.
            self.ctx.update({n: self.values[n] for n in expr.variables if n in lazy})
        if "systems" in expr.variables:
            self.with_systems(self.pack.compiled.subject_system_keys)
        self.subjects[step.key] = _subjects(self.pack, expr, step.key, self.ctx)

    def explain(self, step: _Explained, authority: str | None) -> str:
        """A step's explanation: its citation, then its template filled from the facts."""
        if step.subjects is not None:
            self.rendered["subjects"] = self.subjects[step.key]
        return step.prefix + step.template.render(self.rendered, authority)


_Step = TypeVar("_Step", ScopeStep, TableStep, RequirementStep, TimeLimitStep)


def _holding(run: _Run, steps: tuple[_Step, ...], *, first: bool = False) -> list[_Step]:
    """The steps that hold (and are not waived), in order, each checked into the trace.

    The hot loop of every decision: conditions run inline (no call per rule), a
    failure is run again by :func:`_check` to name it; a holding rule's subjects
    run as it holds. ``first`` stops at the first that holds (scope, tables).
    """
    hits: list[_Step] = []
    trace = run.trace
    ctx = run.ctx
    values = run.values
    for step in steps:
        cond = step.cond
        program = cond.program
        if program is None:
            hit = cond.constant
        elif cond.key is not None:
            value = cond.key(values)
            hit = cond.results.get(value)
            if hit is None:
                hit = run.keyed(cond, value, step.key)
        elif cond.remembered:
            memo = run.memo
            hit = None if memo is None else memo.get(cond)
            if hit is None:
                hit = run.remembered(cond, step.key)
        elif cond.residual_key is not None:
            hit = run.residual(cond, step.key)
        else:
            try:
                hit = program.execute(ctx)
            except Exception:
                hit = None
            if hit is not True and hit is not False:
                hit = _check(run.pack, cond, step.key, ctx)
        if not hit or (step.waivable is not None and run.waived(step)):
            trace.append(step.miss)
            continue
        trace.append(step.hit)
        if step.subjects is not None:
            run.name_subjects(step)
        hits.append(step)
        if first:
            break
    return hits


def _scope_route(run: _Run) -> RouteOutcome | None:
    """The first scope rule that holds decides the route; None when none does."""
    hits = _holding(run, run.pack.compiled.scope, first=True)
    if not hits:
        return None
    rule = hits[0]
    return rule.outcome or build(
        RouteOutcome,
        _ROUTE_FIELDS,
        {
            "code": rule.route,
            "article": rule.article,
            "authority": rule.authority,
            "explanation": run.explain(rule, rule.authority),
            "waivable_by": rule.waivable,
            "options": [],
        },
    )


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
                    "explanation": run.explain(band, band.authority),
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
    hits = _holding(run, run.pack.compiled.tables, first=True)
    return _band_route(run, hits[0]) if hits else None


def _rendered(
    run: _Run, step: DutyStep[_Outcome], route: RouteOutcome, model: type[_Outcome], names: set[str]
) -> _Outcome:
    """A holding requirement's or time limit's outcome, its explanation rendered from the facts."""
    explanation = run.explain(step, step.authority or route.authority)
    return build(model, names, {**step.fields, "explanation": explanation})


def _requirements(run: _Run, route: RouteOutcome) -> list[RequirementOutcome]:
    """Every requirement of the route whose condition holds, in the pack's order."""
    steps = run.pack.compiled.steps_for(route.code).requirements
    return [
        req.outcome or _rendered(run, req, route, RequirementOutcome, _REQ_FIELDS)
        for req in _holding(run, steps)
    ]


def _time_limits(run: _Run, route: RouteOutcome) -> list[TimeLimitOutcome]:
    """Every time limit of the route whose condition holds, in the pack's order."""
    steps = run.pack.compiled.steps_for(route.code).time_limits
    return [
        tl.outcome or _rendered(run, tl, route, TimeLimitOutcome, _TL_FIELDS)
        for tl in _holding(run, steps)
    ]


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
