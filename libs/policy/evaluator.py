"""Compile a pack once, then evaluate it: (pack, facts, date) -> Decision.

Evaluation is the hot path (thousands of decisions a second), so everything
that does not depend on the facts is done at load: CEL programs compiled with
the parameters folded in as literals (converting a Python dict into a CEL map
costs more than evaluating the rule), bands resolved to integer intervals and
scanned in Python, explanation templates pre-rendered up to their facts,
citation prefixes built. A decision then builds one ``cel.Context`` holding only
the facts the pack reads, and assembles the Decision with ``model_construct``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import cel

from libs.policy.decision import (
    Decision,
    RequirementOutcome,
    RouteOutcome,
    TimeLimitOutcome,
    TraceEntry,
    build,
)
from libs.policy.errors import EvaluationError, PackError
from libs.policy.facts import CORE_FACTS, SYSTEM_DEFAULTS, Facts
from libs.policy.lint import IntBand, lint_bands
from libs.policy.model import Document, PackSpec, Parameter, TimeLimit
from libs.policy.render import (
    Template,
    format_period,
    format_value,
    parse_month_day,
    parse_period,
)
from libs.policy.vocab import FROM_LABELS, REQUIREMENT_LABELS, TIME_LIMIT_LABELS

if TYPE_CHECKING:
    from libs.policy.loader import Pack

__all__ = ["CompiledPack", "compile_pack", "evaluate"]

# Routes that carry requirements and time limits unless a rule lists others.
DEFAULT_ROUTES: frozenset[str] = frozenset({"approval", "filing"})

_STRING_OR_PARAM = re.compile(
    r"(\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')"
    r"|\bparams\s*\.\s*([A-Za-z_]\w*)"
)
_WORDS = re.compile(r"[.\"']\s*([A-Za-z_]\w*)")
_BOUND_VARS = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


class _Condition:
    """A compiled ``when``; the constants true/false skip CEL entirely."""

    __slots__ = ("constant", "program", "source", "variables")

    def __init__(
        self,
        source: str,
        program: cel.Program | None,
        constant: bool | None,
        variables: frozenset[str],
    ) -> None:
        self.source = source
        self.program = program
        self.constant = constant
        self.variables = variables


@dataclass(frozen=True, slots=True)
class _Scope:
    key: str
    article: str
    cond: _Condition
    route: str
    authority: str | None
    prefix: str
    template: Template
    hit: TraceEntry
    miss: TraceEntry
    outcome: RouteOutcome | None  # prebuilt when the explanation reads no fact
    subjects: _Condition | None


@dataclass(frozen=True, slots=True)
class _Band:
    lo: int
    hi: int | None
    key: str
    article: str
    route: str
    authority: str | None
    prefix: str
    template: Template
    hit: TraceEntry
    outcome: RouteOutcome | None


@dataclass(frozen=True, slots=True)
class _Table:
    key: str
    article: str
    cond: _Condition
    input: str
    bands: tuple[_Band, ...]
    hit: TraceEntry
    miss: TraceEntry


@dataclass(frozen=True, slots=True)
class _Requirement:
    key: str
    article: str
    cond: _Condition
    routes: frozenset[str]
    code: str
    mandatory: bool
    stage: str
    actor: str
    authority: str | None
    order: int
    prefix: str
    template: Template
    hit: TraceEntry
    miss: TraceEntry
    outcome: RequirementOutcome | None
    subjects: _Condition | None


@dataclass(frozen=True, slots=True)
class _TimeLimit:
    key: str
    article: str
    cond: _Condition
    routes: frozenset[str]
    code: str
    from_: str | None
    until: str | None
    period: str | None
    working_days: bool
    date: str | None
    ratio: str | None
    amount: int | None
    prefix: str
    template: Template
    hit: TraceEntry
    miss: TraceEntry
    outcome: TimeLimitOutcome | None
    subjects: _Condition | None


@dataclass(frozen=True, slots=True)
class CompiledPack:
    """Everything evaluation needs, prepared at load."""

    variables: tuple[str, ...]  # the facts some condition reads: the CEL context
    system_keys: tuple[str, ...]  # the system facts some condition reads
    uses_route: bool
    scope: tuple[_Scope, ...]
    tables: tuple[_Table, ...]
    requirements: tuple[_Requirement, ...]
    time_limits: tuple[_TimeLimit, ...]
    fact_kinds: Mapping[str, str]


def _literal(value: Any) -> str:
    """A parameter value as a CEL literal (ratios as doubles, amounts as ints)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if ("." in repr(value) or "e" in repr(value)) else f"{value!r}.0"
    return json.dumps(str(value), ensure_ascii=False)


def _smoke_context(spec: PackSpec) -> dict[str, Any]:
    """Plausible facts to try every condition on once at load (catches type errors)."""
    zero: dict[str, Any] = {
        "bool": False,
        "amount": 1000000,
        "int": 0,
        "string": "",
        "enum": None,
        "string_list": [],
    }
    ctx: dict[str, Any] = {
        "project_class": "public",
        "category": None,
        "service_types": ["software_development"],
        "amount": 1000000,
        "software_amount": 500000,
        "funding": "fiscal",
        "new_fiscal_funds": False,
        "uses_crypto": False,
        "classified": False,
        "fixed_asset_investment": False,
        "excluded_kind": None,
        "in_annual_plan": True,
        "mandated": False,
        "systems": [{"id": "smoke", **SYSTEM_DEFAULTS}],
        "submitted_on": "2000-01-01",
        "route": "approval",
    }
    for name, fd in spec.facts.items():
        ctx[name] = fd.default if "default" in fd.model_fields_set else zero[fd.type]
    return ctx


class _Compiler:
    def __init__(
        self,
        pack_id: str,
        spec: PackSpec,
        params: Mapping[str, Any],
        fact_kinds: Mapping[str, str],
        cited: Callable[[str], Document],
    ) -> None:
        self.pack = pack_id
        self.spec = spec
        self.params = params
        self.fact_kinds = fact_kinds
        self.cited = cited
        self.variables: set[str] = set()
        self.words: set[str] = set()  # field names and string literals the conditions mention
        self.uses_route = False
        self.smoke = _smoke_context(spec)
        self.smoke_ctx = cel.Context(self.smoke)
        # Constant placeholders: parameters (rendered by type) and the document.
        self.constants: dict[str, str] = {
            name: format_value(params[name], p.type) for name, p in spec.parameters.items()
        }

    def condition(self, where: str, source: str, *, allow_route: bool) -> _Condition:
        text = source.strip()
        if text in ("true", "false"):
            return _Condition(source, None, text == "true", frozenset())
        return self.expression(where, "when", source, allow_route=allow_route, expect=bool)

    def subjects(self, where: str, source: str | None, *, allow_route: bool) -> _Condition | None:
        if source is None:
            return None
        return self.expression(where, "subjects", source, allow_route=allow_route, expect=list)

    def expression(
        self, where: str, what: str, source: str, *, allow_route: bool, expect: type
    ) -> _Condition:
        """Fold parameters in, compile, check the names it reads, try it on sample facts."""

        def substitute(m: re.Match[str]) -> str:
            if m.group(1) is not None:
                return m.group(1)
            name = m.group(2)
            if name not in self.params:
                raise PackError(self.pack, where, f"{what}: unknown parameter params.{name}")
            return _literal(self.params[name])

        folded = _STRING_OR_PARAM.sub(substitute, source)
        try:
            program = cel.compile(folded)
        except Exception as exc:  # the binding raises ValueError; be safe with others
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PackError(self.pack, where, f"{what} does not compile: {first}") from None
        bound = set(_BOUND_VARS.findall(folded))
        self.words.update(_WORDS.findall(folded))
        names = set(program.variables()) - bound
        for name in sorted(names):
            if name == "params":
                raise PackError(self.pack, where, f"{what}: refer to parameters as params.<name>")
            if name == "route":
                if not allow_route:
                    raise PackError(
                        self.pack,
                        where,
                        f"{what}: route is only known to requirements and time limits",
                    )
                self.uses_route = True
                continue
            if name not in self.fact_kinds:
                raise PackError(self.pack, where, f"{what}: unknown fact {name!r}")
        self.variables.update(n for n in names if n != "route")
        try:
            result = program.execute(self.smoke_ctx)
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PackError(self.pack, where, f"{what} fails on sample facts: {first}") from None
        if not isinstance(result, expect):
            raise PackError(
                self.pack,
                where,
                f"{what} must give a {expect.__name__}, got {type(result).__name__}",
            )
        return _Condition(source, program, None, frozenset(names))

    def template(self, where: str, source: str, *, subjects: bool = False) -> Template:
        def unknown(name: str) -> None:
            hint = " (set subjects: to use {subjects})" if name == "subjects" else ""
            raise PackError(self.pack, where, f"explanation: unknown placeholder {{{name}}}{hint}")

        doc = self.cited(where)
        constants = dict(self.constants)
        constants["document"] = f"《{doc.title}》"
        names: Mapping[str, str] = self.fact_kinds
        if subjects:
            names = {**self.fact_kinds, "subjects": "subjects"}
        return Template.compile(source, constants=constants, fact_names=names, on_unknown=unknown)

    def prefix(self, where: str, article: str) -> str:
        return f"依据《{self.cited(where).title}》{article}，"

    def authority(self, where: str, key: str | None) -> str | None:
        if key is None:
            return None
        auth = self.spec.authorities.get(key)
        if auth is None:
            raise PackError(self.pack, where, f"authority {key} is not in authorities")
        return auth.name

    def param_ref(self, where: str, value: Any, kinds: tuple[str, ...]) -> Any:
        """A time-limit value that may name a parameter of one of ``kinds``."""
        if isinstance(value, str) and value in self.params:
            p: Parameter = self.spec.parameters[value]
            if p.type not in kinds:
                raise PackError(
                    self.pack,
                    where,
                    f"parameter {value} is a {p.type}, expected {' or '.join(kinds)}",
                )
            return p.value
        return value


def _trace(key: str, article: str) -> tuple[TraceEntry, TraceEntry]:
    """The two trace entries a rule can produce, built once and shared (they are frozen)."""
    return (
        TraceEntry(rule=key, article=article, result=True),
        TraceEntry(rule=key, article=article, result=False),
    )


def _static_route(
    code: str, article: str, authority: str | None, prefix: str, template: Template
) -> RouteOutcome | None:
    if template.facts:
        return None
    return RouteOutcome(
        code=code,
        article=article,
        authority=authority,
        explanation=prefix + template.render({}, authority),
    )


def compile_pack(
    pack_id: str, spec: PackSpec, params: Mapping[str, Any], cited: Callable[[str], Document]
) -> CompiledPack:
    """Compile every condition, band table and template of a resolved pack.

    ``params`` holds the checked parameter values; ``cited(where)`` gives the
    document an item's article refers to (a parent's, for an inherited rule).
    Raises :class:`PackError` naming the item at fault.
    """
    fact_kinds: dict[str, str] = {n: k.rstrip("?") for n, (k, _) in CORE_FACTS.items()}
    for name, fd in spec.facts.items():
        if name in fact_kinds or name in ("params", "route"):
            raise PackError(pack_id, f"facts.{name}", "redefines a core fact or reserved name")
        if fd.type == "enum" and not fd.values:
            raise PackError(pack_id, f"facts.{name}", "an enum needs values")
        fact_kinds[name] = fd.type
    c = _Compiler(pack_id, spec, params, fact_kinds, cited)
    kinds = {n: p.type for n, p in spec.parameters.items()}

    scope = []
    for rule in spec.scope:
        w = f"scope.{rule.id}"
        cond = c.condition(w, rule.when, allow_route=False)
        authority = c.authority(w, rule.authority)
        subjects = c.subjects(w, rule.subjects, allow_route=False)
        prefix = c.prefix(w, rule.article)
        template = c.template(w, rule.explanation, subjects=subjects is not None)
        scope.append(
            _Scope(
                w,
                rule.article,
                cond,
                rule.route,
                authority,
                prefix,
                template,
                *_trace(w, rule.article),
                _static_route(rule.route, rule.article, authority, prefix, template),
                subjects if "subjects" in template.facts else None,
            )
        )

    tables = []
    for table in spec.routes:
        w = f"routes.{table.id}"
        if fact_kinds.get(table.input) not in ("amount", "int"):
            raise PackError(pack_id, w, f"input {table.input!r} is not an amount fact")
        ibands: list[IntBand] = lint_bands(pack_id, table, params, kinds)
        bands = []
        for ib in ibands:
            b = ib.band
            bw = f"{w}.bands[{ib.index}]"
            article = b.article or table.article
            authority = c.authority(bw, b.authority)
            prefix, template = c.prefix(w, article), c.template(bw, b.explanation)
            key = f"{w}.{b.id or f'bands[{ib.index}]'}"
            bands.append(
                _Band(
                    ib.lo,
                    ib.hi,
                    key,
                    article,
                    b.route,
                    authority,
                    prefix,
                    template,
                    _trace(key, article)[0],
                    _static_route(b.route, article, authority, prefix, template),
                )
            )
        tables.append(
            _Table(
                w,
                table.article,
                c.condition(w, table.when, allow_route=False),
                table.input,
                tuple(bands),
                *_trace(w, table.article),
            )
        )

    requirements = []
    for req in spec.requirements:
        w = f"requirements.{req.id}"
        label = req.label or REQUIREMENT_LABELS.get(req.code, req.code)
        text = req.explanation or (f"须{label}" if req.mandatory else f"可按需{label}")
        cond = c.condition(w, req.when, allow_route=True)
        authority = (
            c.authority(w, req.authority)
            if req.authority
            else (spec.authorities[req.actor].name if req.actor in spec.authorities else None)
        )
        subjects = c.subjects(w, req.subjects, allow_route=True)
        prefix = c.prefix(w, req.article)
        template = c.template(w, text, subjects=subjects is not None)
        static = None
        # {authority} falls back to the route's authority, known only at evaluation.
        if not template.facts and (authority is not None or "{authority}" not in text):
            static = RequirementOutcome(
                code=req.code,
                mandatory=req.mandatory,
                stage=req.stage,
                actor=req.actor,
                authority=authority,
                order=req.order,
                article=req.article,
                explanation=prefix + template.render({}, authority),
            )
        requirements.append(
            _Requirement(
                w,
                req.article,
                cond,
                frozenset(req.routes) if req.routes is not None else DEFAULT_ROUTES,
                req.code,
                req.mandatory,
                req.stage,
                req.actor,
                authority,
                req.order,
                prefix,
                template,
                *_trace(w, req.article),
                static,
                subjects if "subjects" in template.facts else None,
            )
        )

    time_limits = []
    for tl in spec.time_limits:
        time_limits.append(_time_limit(c, pack_id, tl))

    ordered = tuple(n for n in fact_kinds if n in c.variables)
    system_keys = tuple(k for k in ("id", *SYSTEM_DEFAULTS) if k in c.words)
    return CompiledPack(
        ordered,
        system_keys,
        c.uses_route,
        tuple(scope),
        tuple(tables),
        tuple(requirements),
        tuple(time_limits),
        fact_kinds,
    )


def _time_limit(c: _Compiler, pack_id: str, tl: TimeLimit) -> _TimeLimit:
    w = f"time_limits.{tl.id}"
    period = c.param_ref(w, tl.period, ("period",))
    day = c.param_ref(w, tl.date, ("month_day",))
    ratio = c.param_ref(w, tl.ratio, ("ratio",))
    amount = c.param_ref(w, tl.amount, ("amount",))
    given = [v for v in (period, day, ratio, amount) if v is not None]
    if len(given) != 1:
        raise PackError(pack_id, w, "needs exactly one of period, date, ratio, amount")
    if period is not None and (not isinstance(period, str) or parse_period(period) is None):
        raise PackError(pack_id, w, f"period {period!r} is not ISO 8601 (P6M) nor a parameter")
    if tl.until is not None and (tl.until not in FROM_LABELS or tl.until == "budget_year"):
        raise PackError(pack_id, w, f"until {tl.until!r} is not a lifecycle state")
    if tl.working_days and (period is None or not re.fullmatch(r"P\d+D", period)):
        raise PackError(pack_id, w, "working_days needs a period in days (P10D)")
    if day is not None and (not isinstance(day, str) or parse_month_day(day) is None):
        raise PackError(pack_id, w, f"date {day!r} is not --MM-DD nor a parameter")
    if amount is not None and (type(amount) is not int or amount < 0):
        raise PackError(pack_id, w, f"amount {amount!r} is not integer yuan nor a parameter")
    ratio_text: str | None = None
    if ratio is not None:
        ratio_text = str(ratio)
        try:
            float(ratio_text)
        except ValueError:
            raise PackError(
                pack_id, w, f"ratio {ratio!r} is not a decimal nor a parameter"
            ) from None
    label = tl.label or TIME_LIMIT_LABELS.get(tl.code, tl.code)
    if period is not None:
        value_text = format_period(period, working_days=tl.working_days)
    elif day is not None:
        value_text = "每年" + format_value(day, "month_day")
    elif ratio_text is not None:
        value_text = format_value(ratio_text, "ratio")
    else:
        value_text = format_value(amount, "amount")
    text = tl.explanation or f"{label}：{value_text}"
    cond = c.condition(w, tl.when, allow_route=True)
    subjects = c.subjects(w, tl.subjects, allow_route=True)
    prefix = c.prefix(w, tl.article)
    template = c.template(w, text, subjects=subjects is not None)
    routes = frozenset(tl.routes) if tl.routes is not None else DEFAULT_ROUTES
    static = None
    if not template.facts and "{authority}" not in text:
        static = TimeLimitOutcome(
            code=tl.code,
            from_=tl.from_,
            until=tl.until,
            period=period,
            working_days=tl.working_days,
            date=day,
            ratio=ratio_text,
            amount=amount,
            article=tl.article,
            explanation=prefix + template.render({}, None),
        )
    return _TimeLimit(
        w,
        tl.article,
        cond,
        routes,
        tl.code,
        tl.from_,
        tl.until,
        period,
        tl.working_days,
        day,
        ratio_text,
        amount,
        prefix,
        template,
        *_trace(w, tl.article),
        static,
        subjects if "subjects" in template.facts else None,
    )


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


def _check(pack: Pack, cond: _Condition, key: str, ctx: cel.Context) -> bool:
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


def _subjects(pack: Pack, expr: _Condition, key: str, ctx: cel.Context) -> str:
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


def evaluate(pack: Pack, facts: Facts, on: date) -> Decision:
    """Judge ``facts`` by ``pack``: route, requirements, time limits and the full trace.

    A pure function: the same pack, facts and date always give the same
    decision. ``on`` is recorded as ``evaluated_on``; choosing the pack for a
    date is :meth:`PolicyRegistry.pack_for`'s job. Raises
    :class:`EvaluationError` if no scope rule or route table decides.
    """
    cp = pack.compiled
    values = facts.values
    ctx = _context(cp, values)
    trace: list[TraceEntry] = []
    add = trace.append
    rendered = _Rendered(values, cp.fact_kinds)

    route: RouteOutcome | None = None
    for rule in cp.scope:
        if _check(pack, rule.cond, rule.key, ctx):
            add(rule.hit)
            if rule.subjects is not None:
                rendered["subjects"] = _subjects(pack, rule.subjects, rule.key, ctx)
            route = rule.outcome or build(
                RouteOutcome,
                _ROUTE_FIELDS,
                {
                    "code": rule.route,
                    "article": rule.article,
                    "authority": rule.authority,
                    "explanation": rule.prefix + rule.template.render(rendered, rule.authority),
                },
            )
            break
        add(rule.miss)
    if route is None:
        for table in cp.tables:
            if not _check(pack, table.cond, table.key, ctx):
                add(table.miss)
                continue
            add(table.hit)
            value = values[table.input]
            for band in table.bands:
                if band.lo <= value and (band.hi is None or value <= band.hi):
                    add(band.hit)
                    route = band.outcome or build(
                        RouteOutcome,
                        _ROUTE_FIELDS,
                        {
                            "code": band.route,
                            "article": band.article,
                            "authority": band.authority,
                            "explanation": band.prefix
                            + band.template.render(rendered, band.authority),
                        },
                    )
                    break
            break
    if route is None:
        raise EvaluationError(pack.id, "routes", "no scope rule or route table applies")

    code = route.code
    if cp.uses_route:
        ctx.add_variable("route", code)
    requirements: list[RequirementOutcome] = []
    for req in cp.requirements:
        if code not in req.routes:
            continue
        # _check inlined: this loop runs for most rules of a pack.
        cond = req.cond
        if cond.program is None:
            hit = cond.constant
        else:
            try:
                hit = cond.program.execute(ctx)
            except Exception:
                hit = _check(pack, cond, req.key, ctx)  # re-run to raise EvaluationError
            if hit is not True and hit is not False:
                _check(pack, cond, req.key, ctx)
        if not hit:
            add(req.miss)
            continue
        add(req.hit)
        if req.subjects is not None:
            rendered["subjects"] = _subjects(pack, req.subjects, req.key, ctx)
        authority = req.authority or route.authority
        requirements.append(
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
                    "explanation": req.prefix + req.template.render(rendered, authority),
                },
            )
        )
    time_limits: list[TimeLimitOutcome] = []
    for tl in cp.time_limits:
        if code not in tl.routes:
            continue
        if not _check(pack, tl.cond, tl.key, ctx):
            add(tl.miss)
            continue
        add(tl.hit)
        if tl.subjects is not None:
            rendered["subjects"] = _subjects(pack, tl.subjects, tl.key, ctx)
        time_limits.append(
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
                    "explanation": tl.prefix + tl.template.render(rendered, route.authority),
                },
            )
        )

    return build(
        Decision,
        _DECISION_FIELDS,
        {
            "tenant": pack.tenant,
            "policy": pack.policy_ref,
            "evaluated_on": on,
            "provisional": pack.status == "draft",
            "route": route,
            "requirements": requirements,
            "time_limits": time_limits,
            "trace": trace,
        },
    )
