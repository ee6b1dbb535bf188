"""The evaluator gives exactly the recorded decisions for every pack in policies/.

fixtures/recorded_decisions.jsonl was written by the evaluator before it was
made faster (issue 21): same route, requirements, time limits, Chinese
explanations, parameter citations, exceptions and trace, for a seeded spread of
facts per pack (decision_samples.py). A pack edit that is meant to change
decisions re-records with ``python -m libs.policy.tests.record_decisions``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from libs.policy import load_registry
from libs.policy.tests.decision_samples import POLICIES, RECORDED, decide, sample_key, samples


@pytest.fixture(scope="module")
def recorded() -> list[dict[str, Any]]:
    lines = RECORDED.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def test_every_recorded_decision_is_given_again(recorded: list[dict[str, Any]]) -> None:
    registry = load_registry(POLICIES)
    made = list(samples(registry))
    # The samples are seeded: the same facts as recorded, in the same order.
    assert [sample_key(s) for s in made] == [
        {k: r[k] for k in ("pack", "on", "facts", "exceptions")} for r in recorded
    ]
    packs = {s.label.removesuffix("+set") for s in made}
    assert packs == {p.id for p in registry.packs}, "every pack in policies/ is sampled"
    for sample, want in zip(made, recorded, strict=True):
        got = decide(sample)
        assert got == want["decision"], (
            f"{sample.label}: decision changed for {json.dumps(sample.raw, ensure_ascii=False)}"
        )


def test_recorded_decisions_cover_what_a_decision_can_say(recorded: list[dict[str, Any]]) -> None:
    """The spread reaches every kind of outcome the comparison should guard."""
    decisions = [r["decision"] for r in recorded]
    routes = {d["route"]["code"] for d in decisions}
    assert {"approval", "filing", "ineligible"} <= routes
    assert any(d["exceptions"] for d in decisions), "an exception granted and honoured"
    assert any(d["parameters"] for d in decisions), "an authority-set parameter cited"
    assert any(d["route"]["options"] for d in decisions), "a band offering a stricter route"
    assert any("、" in r["explanation"] for d in decisions for r in d["requirements"])
    assert sum(len(d["trace"]) for d in decisions) > 10 * len(decisions)
