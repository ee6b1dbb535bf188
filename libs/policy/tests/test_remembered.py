"""A pack remembers what its systems rules said, and never for other systems.

The rules that walk a project's systems (潮州、坡头 第八条, 莱州's operations
rules) are the dearest a decision runs, so a pack keeps their results by the
values they read (libs/policy/evaluator.py); the rules over flags and enums keep
theirs by the values they read too. A project whose systems or facts differ in
any value those rules read must be judged afresh, in whatever order projects come.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from libs.policy import Decision, Pack, evaluate, load_registry, validate_facts
from libs.policy.evaluator import _MEMO_SIZE
from libs.policy.tests.decision_samples import POLICIES, RECORDED, decide, samples

ON = date(2025, 3, 1)


@pytest.fixture(scope="module")
def potou() -> Pack:
    return load_registry(POLICIES).get("potou-draft")


def _decide(pack: Pack, systems: list[Any]) -> Decision:
    raw = {
        "project_class": "professional",
        "service_types": ["operations_maintenance"],
        "amount": 300_000,
        "systems": systems,
    }
    return evaluate(pack, validate_facts(pack, raw), ON)


def _system(name: str, **flags: Any) -> dict[str, Any]:
    return {"id": name, "relation": "operate", **flags}


def test_a_flag_the_rule_reads_is_judged_afresh_both_ways(potou: Pack) -> None:
    potou.compiled.memo.clear()
    good = [_system("OA系统")]
    bad = [_system("OA系统", in_catalog=False)]
    for first, then in ((good, bad), (bad, good), (good, good), (bad, bad)):
        a, b = _decide(potou, first), _decide(potou, then)
        assert (a.route.code == "ineligible") is (first is bad)
        assert (b.route.code == "ineligible") is (then is bad)


def test_a_remembered_result_still_names_this_projects_systems(potou: Pack) -> None:
    # Same flags, other names: the rule's result is remembered, its subjects are not.
    first = _decide(potou, [_system("渔政执法系统", shares_data=False)])
    again = _decide(potou, [_system("农机监理系统", shares_data=False)])
    assert first.route.article == again.route.article == "第八条第（二）项"
    assert "渔政执法系统" in first.route.explanation
    assert "农机监理系统" in again.route.explanation
    assert "渔政执法系统" not in again.route.explanation


def test_nothing_remembered_gives_the_same_decision(potou: Pack) -> None:
    cases = [
        [],
        [_system("OA系统")],
        [_system("OA系统"), _system("渔政执法系统", crypto_compliant=False)],
        [{"id": "新系统", "relation": "build", "in_catalog": False}],
    ]
    warm = [_decide(potou, systems) for systems in cases for _ in range(2)]
    cold = []
    for systems in cases:
        for _ in range(2):
            potou.compiled.memo.clear()
            cold.append(_decide(potou, systems))
    assert [d.model_dump() for d in warm] == [d.model_dump() for d in cold]


def test_what_a_pack_remembers_stays_bounded(potou: Pack) -> None:
    potou.compiled.memo.clear()
    # More distinct systems lists than a pack keeps: 13 systems, each built or upgraded.
    for k in range(_MEMO_SIZE + 50):
        relations = ["upgrade" if (k >> j) & 1 else "build" for j in range(13)]
        d = _decide(potou, [{"id": f"系统{j}", "relation": r} for j, r in enumerate(relations)])
        assert d.route.code != "ineligible"
        assert 0 < len(potou.compiled.memo) <= _MEMO_SIZE


def test_kept_results_give_the_recorded_decisions_in_any_order_or_none() -> None:
    """Every sampled decision again, the samples backwards, then with nothing kept."""
    registry = load_registry(POLICIES)  # its own packs: nothing kept from other tests
    lines = RECORDED.read_text(encoding="utf-8").splitlines()
    wanted = [json.loads(line)["decision"] for line in lines if line]
    made = list(samples(registry))
    assert len(made) == len(wanted)
    for sample, want in reversed(list(zip(made, wanted, strict=True))):
        assert decide(sample) == want, f"{sample.label}, backwards: {sample.raw}"
    for sample, want in zip(made, wanted, strict=True):
        sample.pack.compiled.forget()
        assert decide(sample) == want, f"{sample.label}, nothing kept: {sample.raw}"


def test_forget_drops_the_keyed_results_too(potou: Pack) -> None:
    _decide(potou, [_system("OA系统")])
    keyed = potou.compiled.keyed
    assert keyed and any(c.results for c in keyed)
    potou.compiled.forget()
    assert not potou.compiled.memo and not any(c.results for c in keyed)
