"""The five errors an article-by-article review of the four texts found, and the softened rules.

Each case gives the facts, the expected route, article and duties, and quotes
the sentence of the regulation that decides it. A case fails if the packs go
back to what the review found.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from libs.policy import decision_text, evaluate, validate_facts
from libs.policy.bind import bind_parameters
from libs.policy.parameters import Exemption, ParameterSetting

from .support import decision, registry

ON = date(2025, 3, 1)
LAIZHOU_ON = date(2023, 3, 1)


def judge(tenant: str, facts: dict[str, Any], on: date = ON, **extra: Any) -> dict[str, Any]:
    pack = registry().pack_for(tenant, on)
    if "settings" in extra:
        pack = bind_parameters(pack, extra["settings"])
    return decision(pack, facts, on)


# The facts: a 300万元 professional infrastructure project with fixed-asset investment.
GOV_INVESTMENT = {
    "project_class": "professional",
    "service_types": ["infrastructure"],
    "amount": 3_000_000,
    "software_amount": 0,
    "funding": "fiscal",
    "fixed_asset_investment": True,
    "in_annual_plan": True,
}

# ---- error 1: a 政府投资 project keeps every duty but the approval procedure ----------
GOV_CASES = [
    # 潮州 第二十八条 "……审批程序按照政府投资项目有关规定执行。"
    pytest.param(
        "445100",
        "第二十八条",
        None,
        {("acceptance", "第二十一条"), ("conformity_review", "第二十一条")},
        id="chaozhou",
    ),
    # 湘桥区 falls under 潮府办〔2020〕20号 (its pack extends 潮州's).
    pytest.param(
        "445102",
        "第二十八条",
        None,
        {("acceptance", "第二十一条"), ("security_assessment", "第十八条")},
        id="xiangqiao",
    ),
    # 郁南 第二十八条 "……审批程序按照《云浮市…指南（试行）》办理"; 第十六条第（一）项 "投资总额 100 万元以上
    # （含）的项目，必须按有关规定实行监理".
    pytest.param(
        "445322",
        "第二十八条",
        None,
        {
            ("supervision", "第十六条第（一）项"),
            ("acceptance", "第二十一条"),
            ("self_evaluation", "第二十三条"),
        },
        id="yunan",
    ),
    # 坡头 第二十九条 "……项目审批由区发展改革局牵头负责"; 第二十三条 "未进行档案验收或者档案验收不合格的，
    # 不得通过项目验收。"
    pytest.param(
        "440804",
        "第二十九条",
        "区发展改革局",
        {("archive_acceptance", "第二十三条"), ("self_evaluation", "第二十四条")},
        id="potou",
    ),
]


@pytest.mark.parametrize(("tenant", "article", "authority", "duties"), GOV_CASES)
def test_government_investment_keeps_the_later_duties(
    tenant: str, article: str, authority: str | None, duties: set[tuple[str, str]]
) -> None:
    d = judge(tenant, GOV_INVESTMENT)
    assert (d["route"]["code"], d["route"]["article"]) == ("government_investment", article)
    assert d["route"]["authority"] == authority
    held = {(r["code"], r["article"]) for r in d["requirements"] if r["mandatory"]}
    assert duties <= held, sorted(held)
    # The procedure itself moved: no 立项/备案 review step of this 办法.
    assert {r["stage"] for r in d["requirements"]} <= {"implementation", "acceptance", "post"}


def test_yunan_supervises_a_government_investment_project_of_a_million() -> None:
    # 郁南 第十六条第（一）项 "投资总额 100 万元以上（含）的项目，必须按有关规定实行监理".
    d = judge("445322", {**GOV_INVESTMENT, "amount": 1_000_000})
    [sup] = [r for r in d["requirements"] if r["code"] == "supervision"]
    assert sup["mandatory"] is True and sup["article"] == "第十六条第（一）项"
    assert any(t["code"] == "self_evaluation_due" for t in d["time_limits"])


def test_the_packs_agree_on_government_investment_duties() -> None:
    # 莱州 kept them all along (第四条); the others now keep theirs too.
    for tenant, on in (("370683", LAIZHOU_ON), ("445100", ON), ("445322", ON), ("440804", ON)):
        d = judge(tenant, GOV_INVESTMENT, on)
        assert d["route"]["code"] == "government_investment"
        assert any(r["stage"] == "acceptance" for r in d["requirements"]), tenant


# ---- error 2: 坡头's scope order ---------------------------------------------------
UNCATALOGUED = {"id": "渔政执法系统", "relation": "operate", "in_catalog": False}
POTOU_SCOPE = [
    # 第二条 "区级政务信息化项目，是指使用区本级财政资金采购的政务信息系统相关服务项目"; 第五条 "本办法适用于
    # 非涉密区级政务信息化项目" — a non-fiscal project is outside the draft before 第八条 is read.
    pytest.param(
        {"service_types": ["operations_maintenance"], "systems": [UNCATALOGUED]},
        "out_of_scope",
        "第二条",
        id="non-fiscal-uncatalogued-system",
    ),
    # … and before 第二十九条 sends anything to 区发展改革局.
    pytest.param(
        {"fixed_asset_investment": True}, "out_of_scope", "第二条", id="non-fiscal-fixed-asset"
    ),
]


@pytest.mark.parametrize(("facts", "route", "article"), POTOU_SCOPE)
def test_potou_non_fiscal_projects_are_outside_the_draft_first(
    facts: dict[str, Any], route: str, article: str
) -> None:
    base = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
    }
    d = judge("440804", {**base, "funding": "non_fiscal", **facts})
    assert (d["route"]["code"], d["route"]["article"]) == (route, article)


# ---- error 3: 坡头's 政府采购限额 is the bureau's to set --------------------------
POTOU_PROJECT = {"project_class": "professional", "service_types": ["software_development"]}
LIMIT = ParameterSetting(
    "procurement_limit", 1_000_000, "坡政数〔2025〕1号", date(2025, 1, 2), date(2025, 1, 2)
)


def test_potou_limit_unset_gives_a_provisional_approval_saying_why() -> None:
    # 第十二条 "……政府采购限额以下的……项目，可采取备案制管理" — the draft gives no amount.
    d = judge("440804", {**POTOU_PROJECT, "amount": 300_000})
    assert (d["route"]["code"], d["route"]["article"]) == ("approval", "第十一条")
    assert d["provisional"] is True
    assert any(
        r.startswith("政府采购限额（第十二条）尚未由区政务服务数据管理局设定")
        for r in d["provisional_reasons"]
    )
    assert "（尚未设定）" in d["route"]["explanation"]
    assert "100万" not in d["route"]["explanation"]


@pytest.mark.parametrize(
    ("amount", "route", "article"),
    [
        (999_999, "filing", "第十二条第（二）项"),
        # Guangdong: 100万元以上（含）须执行政府采购 — 100万 itself is not "限额以下".
        (1_000_000, "approval", "第十一条"),
    ],
)
def test_potou_limit_set_by_the_bureau_is_cited(amount: int, route: str, article: str) -> None:
    d = judge("440804", {**POTOU_PROJECT, "amount": amount}, settings=[LIMIT])
    assert (d["route"]["code"], d["route"]["article"]) == (route, article)
    [cited] = d["parameters"]
    assert (cited["value"], cited["document"], cited["document_date"]) == (
        1_000_000,
        "坡政数〔2025〕1号",
        "2025-01-02",
    )
    assert not any("政府采购限额" in r for r in d["provisional_reasons"])


# ---- error 4: 坡头's effective date is not invented ------------------------------
@pytest.mark.parametrize("on", [date(2019, 6, 1), date(2024, 1, 1), date(2031, 1, 1)])
def test_potou_undated_draft_is_provisional_on_any_date(on: date) -> None:
    # 第三十一条 "本办法自印发之日起试行。"
    d = judge("440804", {**POTOU_PROJECT, "amount": 300_000}, on)
    assert d["provisional"] is True
    assert "施行日期尚未公布（第三十一条），待正式印发后按印发日期施行" in d["provisional_reasons"]


# ---- error 5: explain counts 第十四条 in the year before the budget year ----------
def test_explain_prints_the_potou_cut_off_before_the_budget_year() -> None:
    # 第十四条 "下年度开展的区级政务信息化项目原则上应于本年度9月底前完成立项。"
    pack = registry().pack_for("440804", ON)
    d = evaluate(pack, validate_facts(pack, {**POTOU_PROJECT, "amount": 300_000}), ON)
    text = decision_text(d)
    assert "立项截止：预算年度前一年9月30日" in text
    assert "自预算年度起每年9月30日" not in text


# ---- softened rules (原则上 / 一般) and options -------------------------------------
SOFTENED = [
    # 坡头 第八条 "……相关运行维护、运营以及升级项目原则上不予立项。"
    pytest.param(
        "440804",
        ON,
        {"systems": [UNCATALOGUED], "service_types": ["operations_maintenance"]},
        "scope.ineligible_not_in_catalog",
        "区政务服务数据管理局",
        id="potou-8",
    ),
    # 潮州 第八条 "……级项目原则上不予立项。"
    pytest.param(
        "445100",
        ON,
        {"systems": [{"id": "旧系统", "relation": "operate", "shares_data": False}]},
        "scope.ineligible_data_sharing",
        "市政务服务数据管理局",
        id="chaozhou-8",
    ),
    # 郁南 第八条 "……由建设单位按程序报县人民政府同意后,可申报立项。"
    pytest.param(
        "445322", ON, {"in_annual_plan": False}, "scope.not_in_plan", "县人民政府", id="yunan-8"
    ),
    # 莱州 第十三条 "……对非基于基础设施资源目录申报的政务信息化项目，原则上不予审批。"
    pytest.param(
        "370683",
        LAIZHOU_ON,
        {"based_on_resource_catalog": False},
        "scope.not_based_on_resource_catalog",
        "市政府办公室（市大数据局）",
        id="laizhou-13",
    ),
]


@pytest.mark.parametrize(("tenant", "on", "facts", "rule", "authority"), SOFTENED)
def test_softened_rule_shows_who_may_decide_otherwise(
    tenant: str, on: date, facts: dict[str, Any], rule: str, authority: str
) -> None:
    base = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
    }
    d = judge(tenant, {**base, **facts}, on)
    assert d["route"]["code"] == "ineligible"
    article = d["route"]["article"]
    assert f"（可由{authority}决定例外，{article}）" in d["route"]["explanation"]
    assert d["route"]["waivable_by"]["authority"] == authority


def test_an_exception_to_potou_8_lets_the_project_be_judged_by_the_amount() -> None:
    pack = bind_parameters(registry().pack_for("440804", ON), [LIMIT])
    facts = {**POTOU_PROJECT, "amount": 800_000, "systems": [UNCATALOGUED]}
    grant = Exemption(
        "scope.ineligible_not_in_catalog", "区政务服务数据管理局", "系统正在补录目录", ON
    )
    d = evaluate(pack, validate_facts(pack, facts), ON, exceptions={grant.rule: grant})
    assert (d.route.code, d.route.article) == ("filing", "第十二条第（二）项")
    assert [e.article for e in d.exceptions] == ["第八条第（一）项"]


def test_laizhou_floors_bases_and_the_yearly_report() -> None:
    d = judge("370683", {**POTOU_PROJECT, "amount": 800_000, "category": "governance"}, LAIZHOU_ON)
    limits = {t["code"]: t for t in d["time_limits"]}
    # 第二十九条 "政务治理类项目约定免费运维期一般不少于3年"
    assert limits["free_maintenance_min"]["minimum"] is True
    assert (
        limits["free_maintenance_min"]["waivable_by"]["authority"] == "市政府办公室（市大数据局）"
    )
    # 第二十九条 "……原则每年不超过建设总投入费用的10%"; 第十九条第二款 "……不超过概算总投资15%"
    assert limits["maintenance_cost_cap"]["base"] == "construction_total"
    assert limits["adjustment_limit"]["base"] == "budget_estimate"
    # 第二十四条 "……于建设期内、每年年底前向项目审批部门提交。"
    assert (
        limits["performance_report_due"]["from"],
        limits["performance_report_due"]["until"],
    ) == (
        "implementing",
        "completed",
    )


def test_yunan_termination_is_filed_with_both_bodies() -> None:
    # 第二十条 "……并分别向县政务和数据局和县财政局备案。"
    facts = {**POTOU_PROJECT, "amount": 800_000, "contract_terminated": True}
    [r] = [
        r
        for r in judge("445322", facts)["requirements"]
        if r["article"] == "第二十条" and "终止" in r["explanation"]
    ]
    assert (r["authority"], r["also"]) == ("县政务和数据局", ["县财政局"])


def test_chaozhou_filing_lets_the_unit_choose_approval() -> None:
    # 第十二条 "……预算金额100万元（含）以下的……项目，可采取备案制管理。"
    facts = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
    }
    d = judge("445100", facts)
    assert (d["route"]["code"], d["route"]["options"]) == ("filing", ["approval"])
    chosen = judge("445100", {**facts, "route_choice": "approval"})
    assert chosen["route"]["code"] == "approval"
    assert {"expert_review", "finance_review"} <= {r["code"] for r in chosen["requirements"]}
