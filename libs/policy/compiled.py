"""What a compiled pack holds: the prepared rules evaluation walks.

Plain frozen dataclasses with no behaviour, so that the compiler (which builds
them), the pack (which carries them) and the evaluator (which reads them) can
all import this module without importing each other.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import cel

from libs.policy.decision import (
    RequirementOutcome,
    RouteOutcome,
    TimeLimitOutcome,
    TraceEntry,
    Waivable,
)
from libs.policy.keys import ConditionKeys
from libs.policy.render import Template

__all__ = [
    "DEFAULT_ROUTES",
    "BandStep",
    "CompiledPack",
    "Condition",
    "DutyStep",
    "RequirementStep",
    "RouteSteps",
    "ScopeStep",
    "TableStep",
    "TimeLimitStep",
    "route_steps",
]

# Routes that carry requirements and time limits unless a rule lists others.
DEFAULT_ROUTES: frozenset[str] = frozenset({"approval", "filing"})


class Condition:
    """A compiled ``when`` (or ``subjects``); the constants true/false skip CEL entirely.

    ``remembered`` is set for a condition that walks the systems (the dearest kind:
    every system becomes a CEL map, then a comprehension runs over them): its
    result is kept per pack by the values of the facts such conditions read
    (:attr:`CompiledPack.remembered_facts`), so most decisions convert no system.

    A condition that reads facts of few values (flags, enums, service types;
    libs/policy/keys.py, the facts ``fixed``) has a key giving their values from
    a decision's facts. One that reads only those (``key``) keeps its result by
    them in ``results``, so it runs in CEL once per pack for each combination;
    one that reads amounts too (``residual_key``) keeps in ``residuals`` a
    program with those values written in, so its CEL context needs only the amounts.
    """

    __slots__ = (
        "constant",
        "fixed",
        "key",
        "program",
        "remembered",
        "residual_key",
        "residuals",
        "results",
        "source",
        "specialize",
        "variables",
    )

    def __init__(
        self,
        source: str,
        program: cel.Program | None,
        constant: bool | None,
        variables: frozenset[str],
        keys: ConditionKeys | None = None,
    ) -> None:
        self.source = source
        self.program = program
        self.constant = constant
        self.variables = variables
        self.remembered = (
            program is not None and "systems" in variables and "route" not in variables
        )
        self.fixed = keys.fixed if keys else frozenset[str]()
        self.specialize = keys.specialize if keys else None
        # The key of a condition whose result is kept, or of one whose residuals are:
        # apart, so that the evaluator's loop tells them by one test each.
        self.key = keys.key if keys and not keys.specialize else None
        self.residual_key = keys.key if keys and keys.specialize else None
        self.results: dict[Hashable, bool] = {}
        self.residuals: dict[Hashable, cel.Program] = {}


@dataclass(frozen=True, slots=True)
class ScopeStep:
    """A scope rule, ready to check: its condition and its prebuilt outcomes."""

    key: str
    article: str
    cond: Condition
    route: str
    authority: str | None
    prefix: str
    template: Template
    hit: TraceEntry
    miss: TraceEntry
    outcome: RouteOutcome | None  # prebuilt when the explanation reads no fact
    subjects: Condition | None
    waivable: Waivable | None


@dataclass(frozen=True, slots=True)
class BandStep:
    """One band of a route table as an inclusive integer interval ``[lo, hi]``."""

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
    options: tuple[str, ...]  # stricter routes the unit may choose instead
    subjects: None = None  # a band names no subjects (explained like the other steps)


@dataclass(frozen=True, slots=True)
class TableStep:
    """A banded route table: applies when ``cond`` holds, then picks a band by ``input``."""

    key: str
    article: str
    cond: Condition
    input: str
    bands: tuple[BandStep, ...]
    hit: TraceEntry
    miss: TraceEntry
    waivable: None = None  # a table is never softened (walked like the other steps)
    subjects: None = None


# A duty step's outcome: a requirement's or a time limit's.
_Outcome = TypeVar("_Outcome", RequirementOutcome, TimeLimitOutcome)


@dataclass(frozen=True, slots=True)
class DutyStep(Generic[_Outcome]):
    """A requirement or a time limit, with the routes it applies to and its outcome.

    The outcome is prebuilt when no fact changes it; otherwise ``fields`` holds every
    field of it, in order, but the explanation, rendered for each decision.
    """

    key: str
    article: str
    cond: Condition
    routes: frozenset[str]
    authority: str | None  # whom the explanation names; None: the route's authority
    prefix: str
    template: Template
    hit: TraceEntry
    miss: TraceEntry
    outcome: _Outcome | None
    fields: Mapping[str, Any]
    subjects: Condition | None
    waivable: Waivable | None

    @property
    def code(self) -> str:
        """The requirement's or time limit's code (vocabulary.md), as its outcome names it."""
        code: str = self.fields["code"]
        return code


RequirementStep = DutyStep[RequirementOutcome]
TimeLimitStep = DutyStep[TimeLimitOutcome]


@dataclass(frozen=True, slots=True)
class RouteSteps:
    """The requirements and time limits of one route, in the pack's order."""

    requirements: tuple[RequirementStep, ...]
    time_limits: tuple[TimeLimitStep, ...]


@dataclass(frozen=True, slots=True)
class CompiledPack:
    """Everything evaluation needs, prepared at load."""

    variables: tuple[str, ...]  # the facts some condition reads: the CEL context
    system_keys: tuple[str, ...]  # the system facts some condition (``when``) reads
    # The system facts ``subjects`` expressions read besides (a system's id, to name it):
    # put in the context only when a rule that names systems holds.
    subject_system_keys: tuple[str, ...]
    uses_route: bool
    scope: tuple[ScopeStep, ...]
    tables: tuple[TableStep, ...]
    requirements: tuple[RequirementStep, ...]
    time_limits: tuple[TimeLimitStep, ...]
    fact_kinds: Mapping[str, str]
    # Rule key -> the authority-set parameters it reads: a decision that checked
    # the rule cites them (or, while they are unset, is provisional).
    bureau_deps: Mapping[str, frozenset[str]]
    # Route code -> the steps that apply to it, so a decision walks only its route's rules.
    by_route: Mapping[str, RouteSteps]
    # Whether the CEL context needs the systems from the start (a condition reads
    # them with the route); otherwise they join only when a condition must run.
    eager_systems: bool
    # The facts put in every decision's CEL context: those the conditions run in CEL
    # read but what their keys fix (Condition.fixed), the systems apart.
    context_facts: tuple[str, ...]
    # The facts the remembered conditions read besides the systems (Condition.remembered).
    remembered_facts: tuple[str, ...]
    # The other facts the pack reads (remembered, keyed conditions, subjects): put in a
    # decision's context when one of those must run in CEL.
    lazy_facts: tuple[str, ...]
    # The conditions whose results are kept by the values they read (Condition.key).
    keyed: tuple[Condition, ...]
    # The remembered results, by the values of the systems and those facts, then by
    # condition: pure functions of the facts, kept for a bounded number of values.
    memo: dict[tuple[Any, ...], dict[Condition, bool]] = field(default_factory=dict, compare=False)

    def forget(self) -> None:
        """Drop every result the pack keeps (remembered and keyed): the next decision runs cold."""
        self.memo.clear()
        for cond in self.keyed:
            cond.results.clear()
            cond.residuals.clear()

    def steps_for(self, route: str) -> RouteSteps:
        """The requirements and time limits that apply to ``route``."""
        steps = self.by_route.get(route)
        if steps is None:  # a route no rule of the pack leads to (never on the hot path)
            steps = route_steps(self.requirements, self.time_limits, route)
        return steps


def route_steps(
    requirements: tuple[RequirementStep, ...], time_limits: tuple[TimeLimitStep, ...], route: str
) -> RouteSteps:
    """The steps of ``route`` among all of a pack's requirements and time limits."""
    return RouteSteps(
        tuple(r for r in requirements if route in r.routes),
        tuple(t for t in time_limits if route in t.routes),
    )
