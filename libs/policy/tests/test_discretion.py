"""The authority's discretion in the engine: softened rules, options, floors, bases,
duties owed to two bodies, parameters an authority sets, and the scope-order lint.

Each test changes the fixture pack the way a pack author would and checks what
a bureau officer reads in the decision.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from libs.policy import PackError, evaluate, load_registry, validate_facts
from libs.policy.bind import bind_in_force, bind_parameters, settings_in_force
from libs.policy.pack import Pack
from libs.policy.parameters import Exemption, ParameterSetting

from .conftest import ON, project, write_pack, yunan_data

GRANTED = date(2025, 3, 5)


def _load(tmp_path: Path, data: dict[str, Any]) -> Pack:
    write_pack(tmp_path / "445322-yunan", data)
    return load_registry(tmp_path).get("fixture-yunan-2024")


def _rule(data: dict[str, Any], section: str, rid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data[section] if r["id"] == rid)
    return found


def _decide(pack: Pack, **facts: Any) -> Any:
    return evaluate(pack, validate_facts(pack, project(**facts)), ON, exceptions=None)


# ---- 原则上: waivable_by and exceptions -----------------------------------------
@pytest.fixture
def softened(tmp_path: Path) -> Pack:
    data = yunan_data()
    # 第八条 "……由建设单位按程序报县人民政府同意后,可申报立项": the county government decides.
    _rule(data, "scope", "unplanned")["waivable_by"] = "overseer"
    _rule(data, "requirements", "ipv6")["waivable_by"] = "bureau_officer"
    return _load(tmp_path, data)


def test_a_softened_rule_says_who_may_grant_an_exception(softened: Pack) -> None:
    d = _decide(softened, in_annual_plan=False)
    assert d.route.code == "ineligible"
    assert d.route.explanation.endswith(
        "不予立项（总投资60万元）（可由县人民政府决定例外，第八条）。"
    )
    assert d.route.waivable_by is not None
    assert (d.route.waivable_by.role, d.route.waivable_by.article) == ("overseer", "第八条")


def test_an_exception_lifts_the_rule_for_this_project_and_is_recorded(softened: Pack) -> None:
    grant = Exemption("scope.unplanned", "县人民政府", "防汛应急指挥系统须于汛期前建成", GRANTED)
    pack = softened
    d = evaluate(
        pack,
        validate_facts(pack, project(in_annual_plan=False)),
        ON,
        exceptions={grant.rule: grant},
    )
    assert d.route.code == "approval"  # judged by 第十条 as if the rule did not hold
    [applied] = d.exceptions
    assert (applied.rule, applied.article, applied.authority) == (
        "scope.unplanned",
        "第八条",
        "县人民政府",
    )
    assert applied.reason == "防汛应急指挥系统须于汛期前建成"
    assert any(e.rule == "scope.unplanned" and e.result is False for e in d.trace)


def test_an_exception_to_a_strict_rule_changes_nothing(softened: Pack) -> None:
    # 第四条 (classified) is not softened: an exception recorded against it is not honoured.
    grant = Exemption("scope.classified", "县人民政府", "理由", GRANTED)
    d = evaluate(
        softened,
        validate_facts(softened, project(classified=True)),
        ON,
        exceptions={grant.rule: grant},
    )
    assert d.route.code == "classified_rules" and d.exceptions == []


def test_a_waived_requirement_is_dropped_with_its_reason(softened: Pack) -> None:
    plain = _decide(softened)
    assert "ipv6_support" in {r.code for r in plain.requirements}
    grant = Exemption("requirements.ipv6", "县政务和数据局", "内网系统，无公网访问", GRANTED)
    d = evaluate(softened, validate_facts(softened, project()), ON, exceptions={grant.rule: grant})
    assert "ipv6_support" not in {r.code for r in d.requirements}
    assert [e.rule for e in d.exceptions] == ["requirements.ipv6"]


def test_waivable_by_must_name_an_authority(tmp_path: Path) -> None:
    data = yunan_data()
    _rule(data, "scope", "unplanned")["waivable_by"] = "county_party_committee"
    with pytest.raises(PackError, match="waivable_by county_party_committee"):
        _load(tmp_path, data)


# ---- options: "可采取备案制管理" ------------------------------------------------
def test_the_unit_may_choose_the_stricter_route_a_band_offers(tmp_path: Path) -> None:
    data = yunan_data()
    data["routes"][0]["bands"][1]["options"] = ["approval"]
    pack = _load(tmp_path, data)
    d = _decide(pack, amount=300_000)
    assert (d.route.code, d.route.options) == ("filing", ["approval"])
    assert "建设单位也可选择按立项审批管理" in d.route.explanation
    chosen = _decide(pack, amount=300_000, route_choice="approval")
    assert chosen.route.code == "approval" and chosen.route.article == "第十条"
    assert "cost_review" in {r.code for r in chosen.requirements}
    # A choice the band does not offer changes nothing.
    assert _decide(pack, amount=50_000, route_choice="approval").route.code == "self_managed"


def test_an_option_must_be_stricter(tmp_path: Path) -> None:
    data = yunan_data()
    data["routes"][0]["bands"][0]["options"] = ["filing"]
    with pytest.raises(PackError, match="not a stricter route"):
        _load(tmp_path, data)


# ---- floors, bases, two bodies, recurring duties -------------------------------
def test_floors_bases_and_an_end_state(tmp_path: Path) -> None:
    data = yunan_data()
    data["parameters"]["floor"] = {
        "type": "period",
        "value": "P3Y",
        "label": "免费运维期",
        "article": "第二十三条",
    }
    data["time_limits"] += [
        {
            "id": "free_maintenance",
            "code": "free_maintenance_min",
            "from": "accepted",
            "period": "floor",
            "minimum": True,
            "article": "第二十三条",
        },
        {
            "id": "adjustment",
            "code": "adjustment_limit",
            "ratio": "0.15",
            "base": "budget_estimate",
            "article": "第二十三条",
        },
        {
            "id": "yearly",
            "code": "performance_report_due",
            "from": "implementing",
            "until": "completed",
            "date": "--12-31",
            "article": "第二十三条",
        },
    ]
    pack = _load(tmp_path, data)
    limits = {t.code: t for t in _decide(pack).time_limits}
    floor = limits["free_maintenance_min"]
    assert floor.minimum is True and floor.period == "P3Y"
    assert floor.explanation.endswith("免费运维期：不少于3年")
    ratio = limits["adjustment_limit"]
    assert (ratio.base, ratio.ratio) == ("budget_estimate", "0.15")
    assert "概算总投资的15%" in ratio.explanation
    assert (limits["performance_report_due"].from_, limits["performance_report_due"].until) == (
        "implementing",
        "completed",
    )


def test_a_base_needs_a_ratio(tmp_path: Path) -> None:
    data = yunan_data()
    data["time_limits"][1]["base"] = "budget_estimate"
    with pytest.raises(PackError, match="base 'budget_estimate' needs a ratio"):
        _load(tmp_path, data)


def test_a_duty_owed_to_two_bodies_names_both(tmp_path: Path) -> None:
    data = yunan_data()
    _rule(data, "requirements", "performance")["also"] = ["finance_officer"]
    _rule(data, "requirements", "performance")["authority"] = "bureau_officer"
    pack = _load(tmp_path, data)
    [perf] = [r for r in _decide(pack).requirements if r.code == "performance_evaluation"]
    assert (perf.authority, perf.also) == ("县政务和数据局", ["县财政局"])


# ---- parameters an authority sets --------------------------------------------
LIMIT_2025 = ParameterSetting(
    "approval_min", 400_000, "郁政数〔2025〕3号", date(2025, 1, 10), date(2025, 2, 1)
)
LIMIT_2026 = ParameterSetting(
    "approval_min", 300_000, "郁政数〔2026〕1号", date(2026, 1, 5), date(2026, 1, 5)
)


@pytest.fixture
def open_limit(tmp_path: Path) -> Pack:
    data = yunan_data()
    data["parameters"]["approval_min"] = {
        "type": "amount",
        "set_by": "bureau_officer",
        # Until set, the filing band is empty: everything from the filing floor needs approval.
        "unset_value": 100_000,
        "label": "立项下限",
        "article": "第十条",
    }
    return _load(tmp_path, data)


def test_unset_parameter_makes_the_decision_provisional_and_says_why(open_limit: Pack) -> None:
    d = _decide(open_limit, amount=450_000)
    assert d.route.code == "approval"
    assert d.provisional is True
    [reason] = d.provisional_reasons
    assert reason.startswith("立项下限（第十条）尚未由县政务和数据局设定")
    [cited] = d.parameters
    assert (cited.name, cited.value, cited.document) == ("approval_min", None, None)


def test_a_decision_that_does_not_read_the_parameter_is_not_provisional(open_limit: Pack) -> None:
    d = _decide(open_limit, classified=True)
    assert d.provisional is False and d.parameters == []


def test_a_set_parameter_is_cited_with_its_document(open_limit: Pack) -> None:
    pack = bind_parameters(open_limit, settings_in_force([LIMIT_2025, LIMIT_2026], ON))
    d = _decide(pack, amount=450_000)
    assert (d.route.code, d.provisional) == ("approval", False)
    assert "40万元" in d.route.explanation
    [cited] = d.parameters
    assert (cited.value, cited.document, cited.document_date) == (
        400_000,
        "郁政数〔2025〕3号",
        date(2025, 1, 10),
    )
    assert _decide(pack, amount=350_000).route.code == "filing"


def test_a_changed_parameter_judges_later_submissions_only() -> None:
    both = [LIMIT_2025, LIMIT_2026]
    assert settings_in_force(both, date(2025, 1, 31)) == ()
    assert settings_in_force(both, date(2025, 12, 31)) == (LIMIT_2025,)
    assert settings_in_force(both, date(2026, 1, 5)) == (LIMIT_2026,)


def test_binding_is_compiled_once_per_value(open_limit: Pack) -> None:
    assert bind_parameters(open_limit, [LIMIT_2025]) is bind_parameters(open_limit, [LIMIT_2025])
    assert bind_parameters(open_limit, []) is open_limit


def test_a_setting_the_pack_does_not_leave_open_is_refused(open_limit: Pack) -> None:
    with pytest.raises(PackError, match="is not set by an authority"):
        bind_parameters(open_limit, [ParameterSetting("filing_min", 1, "x", ON, ON)])
    with pytest.raises(PackError, match="amount must be a non-negative integer"):
        bind_parameters(open_limit, [ParameterSetting("approval_min", "四十万", "x", ON, ON)])


def test_a_parameter_is_either_in_the_pack_or_set_by_an_authority(tmp_path: Path) -> None:
    data = yunan_data()
    data["parameters"]["approval_min"]["set_by"] = "bureau_officer"
    with pytest.raises(PackError, match="needs unset_value"):
        _load(tmp_path, data)


# ---- the scope-order lint ------------------------------------------------------
def test_a_shadowed_scope_rule_refuses_the_pack(tmp_path: Path) -> None:
    data = yunan_data()
    # Move "未使用县财政资金的项目不适用本办法" after 第二十八条 (政府投资): a non-fiscal
    # fixed-asset project would be sent to the 政府投资 procedure by a 办法 that does not apply.
    scope = data["scope"]
    scope.append(scope.pop(next(i for i, r in enumerate(scope) if r["id"] == "non_fiscal")))
    with pytest.raises(PackError, match=r"scope\.non_fiscal: shadowed by scope\.fixed_asset"):
        _load(tmp_path, data)


def test_the_fixture_order_passes_the_scope_lint(tmp_path: Path) -> None:
    assert _load(tmp_path, yunan_data()).compiled.scope[2].key == "scope.non_fiscal"


def test_bind_in_force_passes_over_values_the_version_does_not_leave_open(open_limit: Pack) -> None:
    stray = ParameterSetting(
        "procurement_limit", 1, "其他版本的文件", date(2025, 1, 1), date(2025, 1, 1)
    )
    pack = bind_in_force(open_limit, [stray, LIMIT_2025, LIMIT_2026], ON)
    assert dict(pack.settings) == {"approval_min": LIMIT_2025}
    assert bind_in_force(open_limit, [stray], ON) is open_limit
