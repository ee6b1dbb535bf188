"""Decisions: routes by amount and scope, requirements, time limits, trace, explanations."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.policy import Decision, Pack, decision_text, evaluate, format_wan, validate_facts
from libs.policy.testing import (
    assert_amount_monotonic,
    assert_citations_exist,
    assert_known_codes,
)
from libs.vocab import SERVICE_TYPES

from .conftest import ON, project

TITLE = "依据《郁南县政务信息化服务项目管理办法》"


def decide(pack: Pack, **facts: Any) -> Decision:
    return evaluate(pack, validate_facts(pack, project(**facts)), ON)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (600_000, "60万元"),
        (1_234_567, "123.4567万元"),
        (0, "0万元"),
        (5, "0.0005万元"),
        (100_000, "10万元"),
        (10_000_000, "1000万元"),
        (12_345, "1.2345万元"),
    ],
)
def test_amounts_read_as_wan_yuan(amount: int, text: str) -> None:
    assert format_wan(amount) == text


@pytest.mark.parametrize(
    ("amount", "route"),
    [
        (0, "self_managed"),
        (99_999, "self_managed"),
        (100_000, "filing"),
        (499_999, "filing"),
        (500_000, "approval"),
        (50_000_000, "approval"),
    ],
)
def test_route_follows_the_bands_with_legal_counting(yunan: Pack, amount: int, route: str) -> None:
    assert decide(yunan, amount=amount).route.code == route


def test_route_explanation_cites_and_compares(yunan: Pack) -> None:
    d = decide(yunan, amount=600_000)
    assert d.route.explanation == f"{TITLE}第十条，总投资60万元≥50万元，须报县政务和数据局立项"
    assert d.route.article == "第十条" and d.route.authority == "县政务和数据局"
    d = decide(yunan, amount=123_456)
    assert d.route.explanation == (
        f"{TITLE}第十条，总投资12.3456万元在10万元（含）至50万元之间，须报县政务和数据局备案"
    )


def test_decision_json_has_exactly_the_documented_shape(yunan: Pack) -> None:
    d = decide(yunan, amount=1_500_000, software_amount=1_200_000, submitted_on="2025-03-01")
    doc = d.model_dump(mode="json")
    assert list(doc) == [
        "tenant",
        "policy",
        "evaluated_on",
        "provisional",
        "route",
        "requirements",
        "time_limits",
        "trace",
        "provisional_reasons",
        "parameters",
        "exceptions",
    ]
    assert doc["tenant"] == "445322" and doc["evaluated_on"] == "2025-03-01"
    assert doc["policy"] == {
        "id": "fixture-yunan-2024",
        "document": "郁府办〔2024〕21号",
        "status": "in_force",
        "sha256": yunan.sha256,
    }
    assert list(doc["route"]) == [
        "code",
        "article",
        "authority",
        "explanation",
        "waivable_by",
        "options",
    ]
    assert list(doc["requirements"][0]) == [
        "code",
        "mandatory",
        "stage",
        "actor",
        "authority",
        "order",
        "article",
        "explanation",
        "waivable_by",
        "also",
    ]
    assert list(doc["time_limits"][0]) == [
        "code",
        "from",
        "until",
        "period",
        "working_days",
        "date",
        "ratio",
        "amount",
        "article",
        "explanation",
        "waivable_by",
        "minimum",
        "base",
    ]
    assert doc["trace"][0] == {"rule": "scope.classified", "article": "第四条", "result": False}
    # A stored decision reads back into the same model.
    assert Decision.model_validate(doc) == d
    assert Decision.model_validate_json(d.model_dump_json()).model_dump(mode="json") == doc


def test_requirements_follow_thresholds_and_cite(yunan: Pack) -> None:
    d = decide(yunan, amount=1_500_000, software_amount=1_200_000, uses_crypto=True)
    by_code = {(r.code, r.mandatory): r for r in d.requirements}
    sup = by_code[("supervision", True)]
    assert sup.stage == "implementation" and sup.article == "第十六条第（一）项"
    assert (
        sup.explanation
        == f"{TITLE}第十六条第（一）项，总投资150万元≥100万元，必须按有关规定实行监理"
    )
    assert ("third_party_testing", True) in by_code
    crypto = by_code[("crypto_review", True)]
    assert crypto.authority == "县委机要局（县密码管理部门）" and crypto.actor == "crypto_officer"
    small = decide(yunan, amount=600_000)
    assert {(r.code, r.mandatory) for r in small.requirements} >= {("supervision", False)}
    assert ("supervision", True) not in {(r.code, r.mandatory) for r in small.requirements}


def test_requirements_can_read_the_route(yunan: Pack) -> None:
    codes = {r.code for r in decide(yunan, amount=600_000).requirements}
    assert "expert_review" in codes  # approval
    codes = {r.code for r in decide(yunan, amount=200_000).requirements}
    assert "expert_review" not in codes  # filing


@pytest.mark.parametrize(
    ("facts", "route", "article"),
    [
        ({"classified": True}, "classified_rules", "第四条"),
        ({"excluded_kind": "medical_lab"}, "out_of_scope", "第四条"),
        ({"funding": "non_fiscal"}, "out_of_scope", "第四条"),
        ({"fixed_asset_investment": True}, "government_investment", "第二十八条"),
        ({"civil_works": True}, "government_investment", "第二十八条"),
        ({"in_annual_plan": False}, "ineligible", "第八条"),
    ],
)
def test_scope_decides_first_and_carries_no_duties(
    yunan: Pack, facts: dict[str, Any], route: str, article: str
) -> None:
    d = decide(yunan, amount=5_000_000, **facts)
    assert (d.route.code, d.route.article) == (route, article)
    assert d.requirements == [] and d.time_limits == []
    assert d.route.explanation.startswith(f"{TITLE}{article}，")
    # The trace stops at the rule that decided: no band is looked at.
    assert d.trace[-1].rule.startswith("scope.") and d.trace[-1].result is True
    assert not any(e.rule.startswith("routes.") for e in d.trace)


def test_self_managed_gets_only_duties_that_list_it(yunan: Pack) -> None:
    d = decide(yunan, amount=50_000)
    assert d.route.code == "self_managed" and d.route.authority is None
    assert [r.code for r in d.requirements] == ["internal_review"]
    assert d.requirements[0].explanation == f"{TITLE}第十条，由建设单位自行组织论证"
    assert d.time_limits == []


def test_trace_lists_every_rule_checked_with_its_article(yunan: Pack) -> None:
    d = decide(yunan, amount=600_000)
    rules = [e.rule for e in d.trace]
    assert rules[:7] == [
        "scope.classified",
        "scope.excluded_kinds",
        "scope.non_fiscal",
        "scope.fixed_asset",
        "scope.unplanned",
        "routes.by_amount",
        "routes.by_amount.bands[0]",
    ]
    assert all(e.article.startswith("第") for e in d.trace)
    checked = {e.rule for e in d.trace}
    assert {f"requirements.{r.id}" for r in yunan.spec.requirements if r.routes is None} <= checked
    assert "requirements.self_managed_note" not in checked  # not for approval: never checked


def test_time_limits_render_their_values(yunan: Pack) -> None:
    d = decide(yunan, amount=600_000)
    plan, selfev = d.time_limits
    assert (plan.code, plan.date, plan.from_) == ("annual_plan_due", "--11-30", None)
    assert plan.explanation == f"{TITLE}第七条，需求计划于每年11月底前向县政务和数据局申报"
    assert (selfev.code, selfev.period, selfev.from_) == ("self_evaluation_due", "P12M", "accepted")
    assert selfev.model_dump(mode="json")["from"] == "accepted"


def test_systems_are_visible_to_rules(yunan: Pack) -> None:
    d = decide(yunan, systems=["a", {"id": "b", "relation": "upgrade", "shares_data": False}])
    hit = [e for e in d.trace if e.rule == "requirements.systems_sharing"]
    assert hit and hit[0].result is True
    d = decide(yunan, systems=["a", {"id": "b", "relation": "build", "shares_data": False}])
    assert not [e for e in d.trace if e.rule == "requirements.systems_sharing" and e.result]


def test_evaluation_is_pure(yunan: Pack) -> None:
    facts = validate_facts(yunan, project(amount=777_777, uses_crypto=True))
    first = evaluate(yunan, facts, ON).model_dump(mode="json")
    decide(yunan, amount=1, classified=True)
    assert evaluate(yunan, facts, ON).model_dump(mode="json") == first
    assert evaluate(yunan, facts, date(2026, 1, 1)).evaluated_on == date(2026, 1, 1)


def test_decision_text_is_chinese_and_cites(yunan: Pack) -> None:
    text = decision_text(decide(yunan, amount=1_500_000))
    assert "管理方式：立项审批（县政务和数据局）" in text
    assert f"{TITLE}第十条，总投资150万元≥50万元，须报县政务和数据局立项" in text
    assert "【必须】监理（实施阶段，建设单位）" in text
    assert "自评价期限：自通过验收起12个月" in text
    assert "✓ routes.by_amount.bands[0]（第十条）" in text


def test_engine_helpers_pass_on_the_fixture(yunan: Pack) -> None:
    assert_known_codes(yunan)
    seen = assert_amount_monotonic(yunan, project())
    assert (100_000, "filing") in seen and (500_000, "approval") in seen
    assert_citations_exist(yunan, decide(yunan, amount=1_500_000, uses_crypto=True))


def test_monotonic_helper_catches_an_inverted_table(yunan: Pack) -> None:
    import copy
    from dataclasses import replace

    bad = copy.copy(yunan)
    table = yunan.compiled.tables[0]
    # Swap the routes of the lowest and highest bands.
    lo, mid, hi = table.bands
    swapped = (
        replace(lo, route="approval", authority=None, outcome=None),
        mid,
        replace(hi, route="self_managed", authority=None, outcome=None),
    )
    bad.compiled = copy.copy(yunan.compiled)
    object.__setattr__(bad.compiled, "tables", (copy.copy(table),))
    object.__setattr__(bad.compiled.tables[0], "bands", swapped)
    with pytest.raises(AssertionError, match="lighter route"):
        assert_amount_monotonic(bad, project())


FACTS = st.fixed_dictionaries(
    {
        "project_class": st.sampled_from(["public", "professional"]),
        # Every service type of vocabulary.md, one to three of them.
        "service_types": st.lists(
            st.sampled_from(list(SERVICE_TYPES)), min_size=1, max_size=3, unique=True
        ),
        "funding": st.sampled_from(["fiscal", "non_fiscal"]),
        "uses_crypto": st.booleans(),
        "classified": st.booleans(),
        "in_annual_plan": st.booleans(),
        "mandated": st.booleans(),
        "amount": st.integers(min_value=0, max_value=30_000_000),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=FACTS)
def test_property_amount_monotonic_and_citations(yunan: Pack, facts: dict[str, Any]) -> None:
    assert_amount_monotonic(yunan, facts)
    assert_citations_exist(yunan, evaluate(yunan, validate_facts(yunan, facts), ON))
