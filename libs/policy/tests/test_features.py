"""Pack features beyond the basics: subjects, authorities with a role, working days."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from libs.policy import PackError, evaluate, load_registry, validate_facts

from .conftest import ON, project, write_pack, yunan_data


def _load(tmp_path: Path, data: dict[str, Any]) -> Any:
    write_pack(tmp_path / "445322-yunan", data)
    return load_registry(tmp_path).get("fixture-yunan-2024")


def test_subjects_name_the_systems_a_rule_is_about(tmp_path: Path) -> None:
    data = yunan_data()
    data["scope"].append(
        {
            "id": "no_sharing",
            "route": "ineligible",
            "article": "第二十一条",
            "when": "systems.exists(s, s.relation != 'build' && !s.shares_data)",
            "subjects": "systems.filter(s, s.relation != 'build' && !s.shares_data).map(s, s.id)",
            "explanation": "系统{subjects}未按要求共享数据，不予立项",
        }
    )
    pack = _load(tmp_path, data)
    facts = project(
        systems=[
            {"id": "oa", "relation": "operate", "shares_data": False},
            {"id": "gis", "relation": "upgrade", "shares_data": False},
            {"id": "new", "shares_data": False},
        ]
    )
    d = evaluate(pack, validate_facts(pack, facts), ON)
    assert d.route.code == "ineligible"
    assert d.route.explanation.endswith("第二十一条，系统oa、gis未按要求共享数据，不予立项")


def test_subjects_placeholder_needs_subjects(tmp_path: Path) -> None:
    data = yunan_data()
    data["scope"][0]["explanation"] = "系统{subjects}涉密"
    with pytest.raises(PackError, match=r"unknown placeholder \{subjects\} \(set subjects:"):
        _load(tmp_path, data)


def test_subjects_must_give_a_list(tmp_path: Path) -> None:
    data = yunan_data()
    data["scope"][0]["subjects"] = "size(systems)"
    data["scope"][0]["explanation"] = "{subjects}"
    with pytest.raises(PackError, match=r"scope\.classified: subjects must give a list"):
        _load(tmp_path, data)


def test_an_authority_of_the_parent_tenant_plays_a_role(tmp_path: Path) -> None:
    data = yunan_data()
    data["authorities"]["city_finance"] = {
        "name": "云浮市财政局",
        "role": "finance_officer",
        "article": "第三条",
    }
    data["requirements"][9]["authority"] = "city_finance"  # finance_public
    pack = _load(tmp_path, data)
    d = evaluate(pack, validate_facts(pack, project()), ON)
    fin = next(r for r in d.requirements if r.code == "finance_review")
    assert fin.authority == "云浮市财政局" and fin.actor == "finance_officer"


def test_an_authority_that_is_no_role_must_name_one(tmp_path: Path) -> None:
    data = yunan_data()
    data["authorities"]["city_finance"] = {"name": "云浮市财政局", "article": "第三条"}
    with pytest.raises(PackError, match="city_finance: not a role code, so it needs role:"):
        _load(tmp_path, data)


def test_working_day_periods(tmp_path: Path) -> None:
    data = yunan_data()
    data["time_limits"].append(
        {
            "id": "review",
            "code": "approval_due",
            "from": "submitted",
            "period": "P10D",
            "working_days": True,
            "article": "第十二条",
        }
    )
    pack = _load(tmp_path, data)
    d = evaluate(pack, validate_facts(pack, project()), ON)
    tl = d.time_limits[-1]
    assert (tl.period, tl.working_days) == ("P10D", True)
    assert tl.explanation.endswith("第十二条，立项截止：10个工作日")


def test_working_days_need_a_period_in_days(tmp_path: Path) -> None:
    data = yunan_data()
    data["time_limits"].append(
        {
            "id": "review",
            "code": "approval_due",
            "period": "P1M",
            "working_days": True,
            "article": "第十二条",
        }
    )
    with pytest.raises(PackError, match=r"time_limits\.review: working_days needs"):
        _load(tmp_path, data)


def test_ratio_and_amount_caps(tmp_path: Path) -> None:
    data = yunan_data()
    data["parameters"]["adjust"] = {
        "type": "ratio",
        "value": "0.15",
        "label": "调整上限",
        "article": "第二十条",
    }
    data["time_limits"] += [
        {"id": "adjust", "code": "adjustment_limit", "ratio": "adjust", "article": "第二十条"},
        {"id": "cap", "code": "maintenance_cost_cap", "amount": 200_000, "article": "第二十条"},
    ]
    data["requirements"].append(
        {
            "id": "big_adjust",
            "code": "report_to_parent",
            "stage": "implementation",
            "actor": "unit_officer",
            "article": "第二十条",
            "when": "double(software_amount) > double(amount) * params.adjust",
        }
    )
    pack = _load(tmp_path, data)
    d = evaluate(pack, validate_facts(pack, project(software_amount=100_000)), ON)
    adjust, cap = d.time_limits[-2:]
    assert adjust.ratio == "0.15" and adjust.explanation.endswith("自行调整上限：15%")
    assert cap.amount == 200_000 and cap.explanation.endswith("年运维费上限：20万元")
    assert "report_to_parent" in {r.code for r in d.requirements}
