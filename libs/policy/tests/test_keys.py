"""A condition kept by its few-valued facts: the key, and the residual program's text.

The residual program (libs/policy/keys.py) writes a decision's flags, enum codes
and service types into the condition as literals, so it must say what the whole
condition says on the whole facts, and touch nothing but those facts' names.
"""

from __future__ import annotations

import itertools

import cel
import pytest

from libs.policy.keys import ConditionKeys, condition_keys

KINDS = {
    "amount": "amount",
    "category": "enum",
    "classified": "bool",
    "service_types": "service_types",
    "systems": "systems",
}


def _keys(source: str, bound: set[str] | None = None) -> tuple[cel.Program, ConditionKeys | None]:
    program = cel.compile(source)
    names = frozenset(program.variables()) - (bound or set())
    return program, condition_keys(program, names, bound or set(), KINDS)


def test_a_condition_over_few_valued_facts_only_keeps_its_result() -> None:
    _, keys = _keys('classified && category == "governance"')
    assert keys is not None and keys.specialize is None
    assert keys.fixed == {"category", "classified"}
    assert keys.key({"category": None, "classified": True, "amount": 5}) == (None, True)


@pytest.mark.parametrize(
    "source",
    [
        'amount >= 500000 && ("software_development" in service_types || classified)',
        # The names in a string or after a dot are not the facts.
        'amount > 0 && {"service_types": category}.service_types == category',
        'amount > 0 && "classified service_types" != category && service_types.size() > 0',
        'service_types.exists(s, s == "infrastructure") && amount < 1000000',
    ],
)
def test_a_residual_says_what_the_whole_condition_says(source: str) -> None:
    bound = {"s"} if ".exists(s" in source else set()
    program, keys = _keys(source, bound)
    assert keys is not None and keys.specialize is not None
    assert "amount" not in keys.fixed
    for category, classified, services, amount in itertools.product(
        [None, "governance", 'say "hi"\\'],
        [True, False],
        [[], ["software_development"], ["infrastructure", "software_development"]],
        [0, 499_999, 500_000],
    ):
        facts = {
            "category": category,
            "classified": classified,
            "service_types": services,
            "amount": amount,
        }
        residual = keys.specialize(keys.key(facts))
        assert set(residual.variables()) - bound == {"amount"}
        assert residual.execute({"amount": amount}) == program.execute(facts)


def test_what_is_not_kept() -> None:
    assert _keys("amount > 5")[1] is None  # nothing few-valued
    assert _keys("classified && systems.exists(s, s.in_catalog)", {"s"})[1] is None
    # A fact's name a comprehension binds too: the literal would change its meaning.
    source = 'category == "x" && [1].exists(category, category > 0) && amount > 0'
    names = frozenset({"category", "amount"})
    assert condition_keys(cel.compile(source), names, {"category"}, KINDS) is None
