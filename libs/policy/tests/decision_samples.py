"""A seeded spread of project facts for every pack in policies/, and their decisions as JSON.

Shared by the recorder (``python -m libs.policy.tests.record_decisions``, which
wrote fixtures/recorded_decisions.jsonl from the engine as it was before the
evaluator was made faster) and test_recorded_decisions.py, which checks that
the engine still gives exactly those decisions: route, requirements, time
limits, explanations, citations, exceptions and the whole trace.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from libs import vocab
from libs.policy import EvaluationError, Pack, PolicyRegistry, evaluate, validate_facts
from libs.policy.bind import bind_parameters, waivable_rules
from libs.policy.errors import FactsError
from libs.policy.facts import SYSTEM_DEFAULTS
from libs.policy.parameters import Exemption, ParameterSetting
from libs.policy.testing import critical_amounts

POLICIES = Path(__file__).resolve().parents[3] / "policies"
RECORDED = Path(__file__).parent / "fixtures" / "recorded_decisions.jsonl"
PER_PACK = 60  # facts per pack (the file stays near 2 MB)
_RELATIONS = ("build", "operate", "upgrade")


@dataclass(frozen=True)
class Sample:
    """One decision to make: which pack, facts as given, exceptions granted."""

    label: str  # pack id, plus the bound parameters' values when any
    pack: Pack
    on: date
    raw: dict[str, Any]
    exceptions: dict[str, Exemption]


def _system(rng: random.Random, i: int) -> str | dict[str, Any]:
    if rng.random() < 0.3:
        return f"sys-{i}"
    system: dict[str, Any] = {"id": f"sys-{i}", "relation": rng.choice(_RELATIONS)}
    for key, default in SYSTEM_DEFAULTS.items():
        if key != "relation" and rng.random() < 0.3:
            system[key] = not default if rng.random() < 0.3 else default
    return system


def _pack_fact(rng: random.Random, kind: str, values: list[str] | None, amounts: list[int]) -> Any:
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "amount":
        return rng.choice(amounts)
    if kind == "int":
        return rng.randint(0, 12)
    if kind == "string":
        return rng.choice(["", "某某系统", "x"])
    if kind == "enum":
        return rng.choice([None, *(values or [])])
    return rng.sample(["甲", "乙", "丙"], rng.randint(0, 2))  # string_list


def _facts(rng: random.Random, pack: Pack, on: date, amounts: list[int]) -> dict[str, Any]:
    """Plausible facts, each deviating from the ordinary case now and then."""
    services = rng.sample(sorted(vocab.SERVICE_TYPES), rng.randint(1, 3))
    amount = rng.choice(amounts)
    raw: dict[str, Any] = {
        "project_class": rng.choice(sorted(vocab.PROJECT_CLASSES)),
        "service_types": services,
        "amount": amount,
    }
    if "software_development" in services and rng.random() < 0.8:
        raw["software_amount"] = rng.choice([0, amount // 2, amount])
    flags = {
        "new_fiscal_funds": 0.5,
        "uses_crypto": 0.3,
        "classified": 0.1,
        "fixed_asset_investment": 0.2,
        "mandated": 0.15,
    }
    for name, chance in flags.items():
        if rng.random() < 0.6:
            raw[name] = rng.random() < chance
    if rng.random() < 0.15:
        raw["in_annual_plan"] = False
    if rng.random() < 0.7:
        raw["category"] = rng.choice(sorted(vocab.CATEGORIES))
    if rng.random() < 0.3:
        raw["funding"] = rng.choice(sorted(vocab.FUNDING))
    if rng.random() < 0.1:
        raw["excluded_kind"] = rng.choice(sorted(vocab.EXCLUDED_KINDS))
    if rng.random() < 0.15:
        raw["route_choice"] = rng.choice(sorted(vocab.ROUTE_LABELS))
    if rng.random() < 0.8:
        raw["submitted_on"] = on.isoformat()
    raw["systems"] = [_system(rng, i) for i in range(rng.choice([0, 1, 1, 2, 3]))]
    for name, fd in pack.spec.facts.items():
        if "default" not in fd.model_fields_set or rng.random() < 0.6:
            raw[name] = _pack_fact(rng, fd.type, fd.values, amounts)
    return raw


def _exceptions(rng: random.Random, pack: Pack, on: date) -> dict[str, Exemption]:
    waivable = sorted(waivable_rules(pack))
    if not waivable or rng.random() < 0.7:
        return {}
    chosen = rng.sample(waivable, rng.randint(1, min(3, len(waivable))))
    return {
        key: Exemption(key, waivable_rules(pack)[key].authority, "专项说明", on) for key in chosen
    }


def _packs(registry: PolicyRegistry) -> Iterator[tuple[str, Pack]]:
    """Every pack; one left to an authority is also judged with its parameters set."""
    for pack in sorted(registry.packs, key=lambda p: p.id):
        yield pack.id, pack
        open_params = [n for n, p in pack.spec.parameters.items() if p.set_by]
        if open_params:
            settings = [
                ParameterSetting(
                    n, 1_000_000, "坡发改〔2025〕1号", date(2025, 1, 6), date(2025, 2, 1)
                )
                for n in open_params
                if pack.spec.parameters[n].type == "amount"
            ]
            yield f"{pack.id}+set", bind_parameters(pack, settings)


def samples(registry: PolicyRegistry) -> Iterator[Sample]:
    """PER_PACK seeded samples for each pack (the seed is the label, so each pack is stable)."""
    for label, pack in _packs(registry):
        rng = random.Random(label)  # noqa: S311 (test sampling, not cryptography)
        on = pack.validity.effective_from or date(2025, 3, 1)
        amounts = critical_amounts(pack, samples=10, seed=1)
        made = tries = 0
        while made < PER_PACK and tries < PER_PACK * 20:
            tries += 1
            raw = _facts(rng, pack, on, amounts)
            try:
                validate_facts(pack, raw)
            except FactsError:
                continue
            made += 1
            yield Sample(label, pack, on, raw, _exceptions(rng, pack, on))


def decide(sample: Sample) -> dict[str, Any]:
    """The decision as the API gives it (JSON), or the error the engine raised."""
    facts = validate_facts(sample.pack, sample.raw)
    try:
        decision = evaluate(sample.pack, facts, sample.on, exceptions=sample.exceptions)
    except EvaluationError as exc:
        return {"error": str(exc)}
    out = decision.model_dump(mode="json")
    # The trace as [rule, article, result] triples: the same content, half the file.
    out["trace"] = [[e["rule"], e["article"], e["result"]] for e in out["trace"]]
    return out


def sample_key(sample: Sample) -> dict[str, Any]:
    """What identifies a sample in the recorded file (and shows in a failure)."""
    return {
        "pack": sample.label,
        "on": sample.on.isoformat(),
        "facts": sample.raw,
        "exceptions": sorted(sample.exceptions),
    }
