"""Lint the order of scope rules: a rule saying the 办法 does not apply must not be shadowed.

Scope rules are ordered and the first that holds decides. A rule that puts a
project outside the 办法 (不适用本办法, 涉密项目按有关规定) states where the text
stops; when an earlier rule with another route (不予立项 under 第八条, 政府投资 under
第二十九条) can also hold for the same project, that project is judged by an
article of a text that does not apply to it (坡头 before the fix: a non-fiscal
project barred by 第八条 although 第二条 puts it outside the draft).

The check tries every scope rule on a deterministic spread of sample facts
built from the facts the scope rules read, and refuses the pack naming both
rules and an example.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import cel

from libs.policy.compiled import CompiledPack, ScopeStep
from libs.policy.errors import PackError
from libs.policy.facts import SYSTEM_DEFAULTS
from libs.policy.model import PackSpec
from libs.vocab import CATEGORIES, EXCLUDED_KINDS, FUNDING, PROJECT_CLASSES

__all__ = ["APPLICABILITY_ROUTES", "lint_scope_order"]

# Routes that say the 办法 itself does not apply to the project.
APPLICABILITY_ROUTES = frozenset({"out_of_scope", "classified_rules"})
_SAMPLES = 4000  # beyond this many combinations, a seeded random subset

_SYSTEM_VARIANTS: list[list[dict[str, Any]]] = [[]] + [
    [{"id": "样例系统", **SYSTEM_DEFAULTS, "relation": relation, flag: not value}]
    for relation in ("operate", "upgrade")
    for flag, value in SYSTEM_DEFAULTS.items()
    if flag != "relation"
]


def _candidates(name: str, kind: str, spec: PackSpec) -> list[Any]:
    """The values worth trying for one fact."""
    core: dict[str, list[Any]] = {
        "project_class": list(PROJECT_CLASSES),
        "category": [None, *CATEGORIES],
        "funding": list(FUNDING),
        "excluded_kind": [None, *EXCLUDED_KINDS],
        "service_types": [["software_development"], ["operations_maintenance"], ["third_party"]],
        "systems": _SYSTEM_VARIANTS,
        "submitted_on": ["2025-03-01"],
        "route_choice": [None],
    }
    if name in core:
        return core[name]
    if kind == "bool":
        return [False, True]
    if kind in ("amount", "int"):
        return [0, 50_000, 100_000, 500_000, 1_000_000, 5_000_000, 50_000_000]
    fd = spec.facts.get(name)
    if kind == "enum" and fd is not None:
        return [None, *(fd.values or [])]
    if kind == "string_list":
        return [[]]
    return [""]


def _samples(variables: Sequence[str], options: Sequence[list[Any]]) -> Iterator[dict[str, Any]]:
    total = 1
    for values in options:
        total *= len(values)
    if total <= _SAMPLES:
        for combo in itertools.product(*options):
            yield dict(zip(variables, combo, strict=True))
        return
    # Deterministic (the same pack always lints the same way), not for secrets.
    rng = random.Random(17)  # noqa: S311
    for _ in range(_SAMPLES):
        yield {v: rng.choice(values) for v, values in zip(variables, options, strict=True)}


def _holds(rule: ScopeStep, ctx: cel.Context) -> bool:
    cond = rule.cond
    if cond.program is None:
        return bool(cond.constant)
    try:
        return cond.program.execute(ctx) is True
    except Exception:  # a sample the rule cannot read is no evidence either way
        return False


def lint_scope_order(pack_id: str, spec: PackSpec, compiled: CompiledPack) -> None:
    """Refuse a pack whose applicability scope rule an earlier rule of another route shadows."""
    rules = compiled.scope
    if not any(r.route in APPLICABILITY_ROUTES for r in rules[1:]):
        return
    kinds: Mapping[str, str] = compiled.fact_kinds
    variables = sorted({v for r in rules for v in r.cond.variables} - {"route"})
    options = [_candidates(v, kinds.get(v, "string"), spec) for v in variables]
    for sample in _samples(variables, options):
        ctx = cel.Context(sample)
        held = [r for r in rules if _holds(r, ctx)]
        if not held or held[0].route in APPLICABILITY_ROUTES:
            continue
        later = next((r for r in held[1:] if r.route in APPLICABILITY_ROUTES), None)
        if later is not None:
            first = held[0]
            example = ", ".join(
                f"{k}={sample[k]!r}"
                for k in variables
                if k in first.cond.variables | later.cond.variables
            )
            raise PackError(
                pack_id,
                later.key,
                f"shadowed by {first.key} ({first.route}, {first.article}) for facts such as "
                f"{example}: a rule that puts a project outside the 办法 ({later.route}, "
                f"{later.article}) must come before the rules of the 办法",
            )
