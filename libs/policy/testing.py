"""Helpers for pack tests (hypothesis properties and citation checks).

Pack engineers call these from their own tests::

    @given(facts=FACTS)
    def test_amount_is_monotonic(facts):
        assert_amount_monotonic(pack, facts)
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from libs.policy.decision import Decision
from libs.policy.errors import PackError
from libs.policy.evaluator import evaluate
from libs.policy.facts import Facts, validate_facts
from libs.policy.lint import SourceText, check_citation
from libs.policy.pack import Pack
from libs.vocab import LIGHTNESS, REQUIREMENT_LABELS, TIME_LIMIT_LABELS

__all__ = [
    "assert_amount_monotonic",
    "assert_citations_exist",
    "assert_known_codes",
    "critical_amounts",
]

_INT_LITERAL = re.compile(r"(?<![\w.])(\d{4,})(?![\w.])")


def critical_amounts(pack: Pack, *, samples: int = 40, seed: int = 0) -> list[int]:
    """Amounts where a decision may change: every band edge, amount parameter and
    integer literal of a condition (each ±1), plus a few seeded random amounts."""
    points: set[int] = {0, 1}
    cp = pack.compiled
    for table in cp.tables:
        for band in table.bands:
            points.update((band.lo - 1, band.lo, band.lo + 1))
            if band.hi is not None:
                points.update((band.hi - 1, band.hi, band.hi + 1))
    for name, p in pack.spec.parameters.items():
        if p.type in ("amount", "int"):
            v = pack.params[name]
            points.update((v - 1, v, v + 1))
    conditions = [r.cond for r in cp.scope] + [t.cond for t in cp.tables]
    conditions += [r.cond for r in cp.requirements] + [t.cond for t in cp.time_limits]
    for cond in conditions:
        if cond.program is not None:
            for m in _INT_LITERAL.finditer(cond.program.source):
                v = int(m.group(1))
                points.update((v - 1, v, v + 1))
    top = max(points) * 2 + 1
    rng = random.Random(seed)  # noqa: S311 (test sampling, not cryptography)
    points.update(rng.randint(0, top) for _ in range(samples))
    return sorted(p for p in points if p >= 0)


def assert_amount_monotonic(
    pack: Pack, base_facts: Mapping[str, Any] | Facts, *, on: date | None = None
) -> list[tuple[int, str]]:
    """Raising ``amount`` (all else equal) never moves a project to a lighter route.

    The order is self_managed < filing < approval; other routes (out_of_scope,
    ineligible, ...) are outside it and ignored. ``base_facts`` are raw facts
    (as JSON would give them) or validated :class:`Facts`; amounts below its
    ``software_amount`` are skipped, since they would be invalid. Returns the
    (amount, route) pairs it checked, for debugging. Raises ``AssertionError``.
    """
    facts = base_facts if isinstance(base_facts, Facts) else validate_facts(pack, base_facts)
    when = on or facts.submitted_on or pack.validity.effective_from or date.today()
    floor = facts.values["software_amount"]
    seen: list[tuple[int, str]] = []
    heaviest: tuple[int, str] | None = None
    for amount in critical_amounts(pack):
        if amount < floor:
            continue
        route = evaluate(pack, facts.replace(amount=amount), when).route.code
        seen.append((amount, route))
        if route not in LIGHTNESS:
            continue
        if heaviest is not None and LIGHTNESS[route] < LIGHTNESS[heaviest[1]]:
            raise AssertionError(
                f"{pack.id}: raising amount from {heaviest[0]} ({heaviest[1]}) to {amount} "
                f"moves to the lighter route {route}"
            )
        if heaviest is None or LIGHTNESS[route] > LIGHTNESS[heaviest[1]]:
            heaviest = (amount, route)
    return seen


def _chain(pack: Pack) -> list[Pack]:
    out: list[Pack] = []
    node: Pack | None = pack
    while node is not None:
        out.append(node)
        node = node.parent
    return out


def assert_citations_exist(pack: Pack, decision: Decision) -> None:
    """Every article a decision cites exists in the regulation it names.

    Checks the route, each requirement and time limit (article, and that the
    explanation opens with 依据《title》<article>，) and each trace entry
    (against the text of the pack that wrote the rule). Raises ``AssertionError``.
    """
    texts: dict[str, tuple[str, SourceText]] = {}
    for p in _chain(pack):
        if p.source_text is not None:
            texts[p.id] = (p.document.title, p.source_text)
    by_title = {title: text for title, text in texts.values()}

    def check(where: str, article: str, text: SourceText) -> None:
        try:
            check_citation(pack.id, where, article, text)
        except PackError as exc:
            raise AssertionError(str(exc)) from None

    items: list[tuple[str, str, str]] = [
        ("route", decision.route.article, decision.route.explanation)
    ]
    items += [(f"requirements.{r.code}", r.article, r.explanation) for r in decision.requirements]
    items += [(f"time_limits.{t.code}", t.article, t.explanation) for t in decision.time_limits]
    for where, article, explanation in items:
        m = re.match(r"^依据《(.+?)》(.+?)，", explanation)
        if m is None or m.group(2) != article:
            raise AssertionError(
                f"{pack.id}: {where}: explanation does not open with "
                f"依据《…》{article}，: {explanation!r}"
            )
        if m.group(1) not in by_title:
            raise AssertionError(f"{pack.id}: {where}: cites 《{m.group(1)}》, not this pack's")
        check(where, article, by_title[m.group(1)])
    for entry in decision.trace:
        section, _, rest = entry.rule.partition(".")
        origin = pack.origins.get(f"{section}.{rest.split('.')[0]}", pack.id)
        title_text = texts.get(origin) or texts[pack.id]
        check(entry.rule, entry.article, title_text[1])


def assert_known_codes(pack: Pack) -> None:
    """Every requirement and time-limit code is one of vocabulary.md (or its extensions)."""
    for r in pack.spec.requirements:
        if r.code not in REQUIREMENT_LABELS:
            raise AssertionError(f"{pack.id}: requirements.{r.id}: unknown code {r.code}")
    for t in pack.spec.time_limits:
        if t.code not in TIME_LIMIT_LABELS:
            raise AssertionError(f"{pack.id}: time_limits.{t.id}: unknown code {t.code}")
