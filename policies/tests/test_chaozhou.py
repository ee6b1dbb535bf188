"""潮州市政务信息化项目管理办法（潮府办〔2020〕20号）, as the packs of 潮州市 445100 and of its
counties 湘桥区 445102, 潮安区 445103, 饶平县 445122 decide.

Every table row quotes the sentence of the regulation it tests, so a reviewer can
hold the test against source.txt line by line.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.policy import evaluate, validate_facts
from libs.policy.errors import NoPolicyInForce
from libs.policy.testing import (
    assert_amount_monotonic,
    assert_citations_exist,
    assert_known_codes,
)
from libs.vocab import LIGHTNESS

from .support import check_citations, codes, decision, registry, req, service_types, source_text

SOURCE = source_text("445100-chaozhou")

CITY = "445100"
XIANGQIAO, CHAOAN, RAOPING = "445102", "445103", "445122"
COUNTIES = {
    XIANGQIAO: ("xiangqiao-2020", "湘桥区"),
    CHAOAN: ("chaoan-2020", "潮安区"),
    RAOPING: ("raoping-2020", "饶平县"),
}
ALL_TENANTS = [CITY, *COUNTIES]
ISSUED = date(2020, 11, 11)
ON = date(2024, 6, 1)


def system(system_id: str, **flags: Any) -> dict[str, Any]:
    """A catalog system the project operates, meeting every 第八条 condition unless told."""
    return {"id": system_id, "relation": "operate", **flags}


def project(**overrides: Any) -> dict[str, Any]:
    """A plain fiscal professional-class software project of 80万元; override what a case tests."""
    facts: dict[str, Any] = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
        "funding": "fiscal",
        "new_fiscal_funds": False,
        "uses_crypto": False,
        "classified": False,
        "fixed_asset_investment": False,
        "mandated": False,
        "systems": [],
    }
    facts.update(overrides)
    return facts


def decide(tenant: str = CITY, on: date = ON, **overrides: Any) -> dict[str, Any]:
    """The decision JSON for a project of ``tenant`` submitted on ``on``."""
    return decision(registry().pack_for(tenant, on), project(**overrides), on)


# ---------------------------------------------------------------------------
# Validity: 第三十一条 "本办法自印发之日起施行。" (印发 2020年11月11日, no end date)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("tenant", ALL_TENANTS)
def test_no_policy_before_issue(tenant: str) -> None:
    # 第三十一条 "本办法自印发之日起施行。" — the day before 印发 nothing is in force.
    with pytest.raises(NoPolicyInForce):
        registry().pack_for(tenant, date(2020, 11, 10))


@pytest.mark.parametrize("on", [ISSUED, date(2023, 1, 1), date(2035, 12, 31)])
@pytest.mark.parametrize("tenant", ALL_TENANTS)
def test_in_force_from_issue_without_end(tenant: str, on: date) -> None:
    # 第三十一条 "本办法自印发之日起施行。" — from 2020-11-11 (inclusive), no end date.
    d = decide(tenant, on=on)
    assert d["policy"]["document"] == "潮府办〔2020〕20号"
    assert d["policy"]["status"] == "in_force"
    assert d["provisional"] is False
    assert d["evaluated_on"] == on.isoformat()


@pytest.mark.parametrize("tenant", list(COUNTIES))
def test_county_uses_its_own_pack_extending_the_city(tenant: str) -> None:
    # 第三条第（一）项 "县（区）政务服务数据管理部门……负责县（区）级政务信息化项目的立项审批"
    pack_id, county = COUNTIES[tenant]
    pack = registry().pack_for(tenant, ON)
    assert pack.id == pack_id
    d = decide(tenant, amount=1_000_001)
    assert d["tenant"] == tenant
    assert d["policy"]["id"] == pack_id
    assert d["route"]["code"] == "approval"
    assert d["route"]["authority"] == f"{county}政务服务数据管理部门"
    # 第十一条第（三）项 "各级财政部门组织本级专业类项目资金审核"
    [finance] = req(d, "finance_review")
    assert finance["authority"] == f"{county}财政部门"
    # 第十一条第（二）项 "各级政务服务数据管理部门组织本级专业类项目专家评审和造价审核"
    for code in ("expert_review", "cost_review"):
        [r] = req(d, code)
        assert r["authority"] == f"{county}政务服务数据管理部门"
    # 第十三条 "……应在申请立项或备案前征求本级财政部门意见。"
    [opinion] = req(decide(tenant, new_fiscal_funds=True), "finance_opinion_before_application")
    assert opinion["authority"] == f"{county}财政部门"
    # 第二十九条 non-fiscal projects are filed with the county's own department.
    nf = decide(tenant, funding="non_fiscal", amount=5_000_000)
    assert (nf["route"]["code"], nf["route"]["authority"]) == (
        "filing",
        f"{county}政务服务数据管理部门",
    )


def test_city_authority_is_the_city_bureau() -> None:
    # 第三条第（一）项 "市政务服务数据管理局……负责市级政务信息化项目的立项审批"
    d = decide(CITY, amount=1_000_001)
    assert d["route"]["authority"] == "市政务服务数据管理局"
    assert d["policy"]["id"] == "chaozhou-2020"


# ---------------------------------------------------------------------------
# Scope: 第二条, 第四条, 第二十八条, 第二十九条
# ---------------------------------------------------------------------------
SCOPE_CASES = [
    # 第四条 "本办法适用于全市非涉密政务信息化项目，涉密政务信息化项目按有关规定执行。"
    pytest.param({"classified": True}, "classified_rules", "第四条", id="classified"),
    pytest.param(
        {"classified": True, "fixed_asset_investment": True, "funding": "non_fiscal"},
        "classified_rules",
        "第四条",
        id="classified-beats-everything",
    ),
    # 第二十八条 "涉及固定资产投资、属于《政府投资条例》（国务院令第712号）约束范围的政务信息化项目审批程序
    # 按照政府投资项目有关规定执行。"
    pytest.param(
        {"fixed_asset_investment": True},
        "government_investment",
        "第二十八条",
        id="fixed-asset-investment",
    ),
    pytest.param(
        {"fixed_asset_investment": True, "amount": 100_000},
        "government_investment",
        "第二十八条",
        id="fixed-asset-investment-small",
    ),
    # 第二十九条 "使用自有资金、上级补助以及社会资金等非市、县（区）两级财政资金的非涉密信息化项目参照本办法执行，
    # 采取备案制管理。" — whatever the amount.
    pytest.param(
        {"funding": "non_fiscal", "amount": 50_000_000},
        "filing",
        "第二十九条",
        id="non-fiscal-large-is-filing",
    ),
    pytest.param(
        {"funding": "non_fiscal", "amount": 1_000_001, "project_class": "public"},
        "filing",
        "第二十九条",
        id="non-fiscal-public-is-filing",
    ),
]


@pytest.mark.parametrize("tenant", ALL_TENANTS)
@pytest.mark.parametrize(("facts", "route", "article"), SCOPE_CASES)
def test_scope(tenant: str, facts: dict[str, Any], route: str, article: str) -> None:
    d = decide(tenant, **facts)
    assert d["route"]["code"] == route
    assert d["route"]["article"] == article


# ---------------------------------------------------------------------------
# Routes: 第七条, 第十条, 第十一条, 第十二条
# ---------------------------------------------------------------------------
ROUTE_CASES = [
    # 第十二条 "……预算金额100万元（含）以下的基础设施服务、软件开发服务和系统业务运营服务项目，可采取备案制管理。"
    # （含）以下 includes 100万元; 101万 is 超过 and goes to 第十一条 (专业类) / 第十条 (公共类).
    pytest.param(
        "professional",
        ["software_development"],
        999_999,
        "filing",
        "第十二条第（二）项",
        id="prof-software-999999",
    ),
    pytest.param(
        "professional",
        ["software_development"],
        1_000_000,
        "filing",
        "第十二条第（二）项",
        id="prof-software-1000000",
    ),
    pytest.param(
        "professional",
        ["software_development"],
        1_000_001,
        "approval",
        "第十一条",
        id="prof-software-1000001",
    ),
    pytest.param(
        "professional",
        ["infrastructure"],
        999_999,
        "filing",
        "第十二条第（二）项",
        id="prof-infra-999999",
    ),
    pytest.param(
        "professional",
        ["infrastructure"],
        1_000_000,
        "filing",
        "第十二条第（二）项",
        id="prof-infra-1000000",
    ),
    pytest.param(
        "professional",
        ["infrastructure"],
        1_000_001,
        "approval",
        "第十一条",
        id="prof-infra-1000001",
    ),
    pytest.param(
        "professional",
        ["business_operation"],
        1_000_000,
        "filing",
        "第十二条第（二）项",
        id="prof-bizop-1000000",
    ),
    pytest.param(
        "professional",
        ["business_operation"],
        1_000_001,
        "approval",
        "第十一条",
        id="prof-bizop-1000001",
    ),
    pytest.param(
        "public",
        ["software_development"],
        999_999,
        "filing",
        "第十二条第（一）项",
        id="public-software-999999",
    ),
    pytest.param(
        "public",
        ["software_development"],
        1_000_000,
        "filing",
        "第十二条第（一）项",
        id="public-software-1000000",
    ),
    pytest.param(
        "public",
        ["software_development"],
        1_000_001,
        "approval",
        "第十条",
        id="public-software-1000001",
    ),
    pytest.param(
        "public", ["infrastructure"], 1_000_001, "approval", "第十条", id="public-infra-1000001"
    ),
    # 第十二条 "运行维护服务、第三方服务……项目，可采取备案制管理" — any amount.
    pytest.param(
        "professional",
        ["operations_maintenance"],
        50_000_000,
        "filing",
        "第十二条第（二）项",
        id="prof-om-5000wan",
    ),
    pytest.param(
        "professional",
        ["third_party"],
        1_000_001,
        "filing",
        "第十二条第（二）项",
        id="prof-third-party-1000001",
    ),
    pytest.param(
        "professional",
        ["operations_maintenance", "third_party"],
        3_000_000,
        "filing",
        "第十二条第（二）项",
        id="prof-om-and-third-party",
    ),
    pytest.param(
        "public",
        ["operations_maintenance"],
        20_000_000,
        "filing",
        "第十二条第（一）项",
        id="public-om-2000wan",
    ),
    # A project that also buys software above 100万 is not only 运维/第三方: 第十一条.
    pytest.param(
        "professional",
        ["operations_maintenance", "software_development"],
        1_000_001,
        "approval",
        "第十一条",
        id="prof-om-plus-software-1000001",
    ),
    pytest.param(
        "professional",
        ["operations_maintenance", "software_development"],
        1_000_000,
        "filing",
        "第十二条第（二）项",
        id="prof-om-plus-software-1000000",
    ),
    # 第七条 "各级各单位所有政务信息化项目，均应向本级政务服务数据管理部门报批或者备案" — no 自行管理 at 0 元.
    pytest.param(
        "professional",
        ["software_development"],
        0,
        "filing",
        "第十二条第（二）项",
        id="prof-zero-still-filed",
    ),
    pytest.param(
        "public", ["third_party"], 1, "filing", "第十二条第（一）项", id="public-one-yuan-filed"
    ),
]


@pytest.mark.parametrize("tenant", ALL_TENANTS)
@pytest.mark.parametrize(("project_class", "services", "amount", "route", "article"), ROUTE_CASES)
def test_route_by_amount_and_service(
    tenant: str, project_class: str, services: list[str], amount: int, route: str, article: str
) -> None:
    d = decide(tenant, project_class=project_class, service_types=services, amount=amount)
    assert d["route"]["code"] == route
    assert d["route"]["article"] == article
    assert d["route"]["explanation"].startswith("依据《潮州市政务信息化项目管理办法》")


def test_never_self_managed() -> None:
    # 第七条 "各级各单位所有政务信息化项目，均应向本级政务服务数据管理部门报批或者备案，实现统一管理。"
    for amount in (0, 1, 99_999, 100_000, 500_000):
        for cls in ("public", "professional"):
            assert decide(project_class=cls, amount=amount)["route"]["code"] != "self_managed"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        # 第十二条 "预算金额100万元（含）以下" → "预算金额80万元≤100万元"
        (800_000, ["80万元", "100万元", "市政务服务数据管理局"]),
        # 超过100万元 → 第十一条, the bureau approves
        (1_200_000, ["120万元", "100万元", "市政务服务数据管理局"]),
    ],
)
def test_explanation_names_numbers_and_authority(amount: int, expected: list[str]) -> None:
    text = decide(amount=amount)["route"]["explanation"]
    for part in expected:
        assert part in text


@pytest.mark.parametrize("tenant", list(COUNTIES))
def test_county_public_class_goes_to_the_city_bureau(tenant: str) -> None:
    # 第十条第（一）项 "县（区）公共类服务需求由县（区）政务服务数据管理部门汇总报送市政务服务数据管理局。"
    # 第十条第（四）项 "市政务服务数据管理局综合专家评审意见和市财政局意见，按程序报批后完成立项。"
    _, county = COUNTIES[tenant]
    d = decide(tenant, project_class="public", amount=1_000_001)
    assert d["route"]["code"] == "approval"
    assert d["route"]["article"] == "第十条"
    assert d["route"]["authority"] == "市政务服务数据管理局"
    assert f"{county}政务服务数据管理部门汇总报送" in d["route"]["explanation"]
    # 第十条第（二）项 "市政务服务数据管理局组织公共类项目专家评审和造价审核"
    for code in ("expert_review", "cost_review"):
        [r] = req(d, code)
        assert r["actor"] == "overseer"
        assert r["authority"] == "市政务服务数据管理局"
    # 第十条第（三）项 "市财政局组织公共类项目资金审核" — never the county's finance department.
    [finance] = req(d, "finance_review")
    assert finance["article"] == "第十条第（三）项"
    assert (finance["actor"], finance["authority"]) == ("finance_officer", "市财政局")
    assert "市财政局组织公共类项目资金审核" in finance["explanation"]
    assert f"{county}财政" not in finance["explanation"]
    # 第十条第（一）项 "县（区）公共类服务需求由县（区）政务服务数据管理部门汇总报送市政务服务数据管理局。"
    [demand] = req(d, "demand_aggregation")
    assert (demand["actor"], demand["authority"], demand["mandatory"]) == (
        "bureau_officer",
        "市政务服务数据管理局",
        True,
    )
    assert f"{county}政务服务数据管理部门汇总报送市政务服务数据管理局" in demand["explanation"]
    # 第十二条第（一）项 "公共类项目由市政务服务数据管理局编制项目方案，组织内部论证，完成立项备案。"
    small = decide(tenant, project_class="public", amount=1_000_000)
    assert (small["route"]["code"], small["route"]["authority"]) == (
        "filing",
        "市政务服务数据管理局",
    )
    [internal] = req(small, "internal_review")
    assert (internal["actor"], internal["authority"]) == ("overseer", "市政务服务数据管理局")
    # 第二十一条 "市政务服务数据管理局……承担公共类项目……的验收责任" and 第十八条 its 安全管理责任.
    for code in ("acceptance", "security_assessment"):
        assert all(r["authority"] == "市政务服务数据管理局" for r in req(d, code))
    # 第十四条 reports what the county approved; a public-class project the city approves is not reported.
    assert req(d, "report_to_parent") == []


# ---------------------------------------------------------------------------
# 第八条: operations / upgrade of a non-compliant system is not approved
# ---------------------------------------------------------------------------
ARTICLE_8_CASES = [
    # （一）"未按要求共享数据资源或者重复采集数据的政务信息系统"
    pytest.param(system("社保业务系统", shares_data=False), "第八条第（一）项", id="no-sharing"),
    pytest.param(
        system("社保业务系统", duplicate_collection=True),
        "第八条第（一）项",
        id="duplicate-collection",
    ),
    # （二）"不符合密码应用和网络安全要求，或者存在重大安全隐患的政务信息系统"
    pytest.param(system("社保业务系统", crypto_compliant=False), "第八条第（二）项", id="crypto"),
    pytest.param(
        system("社保业务系统", security_compliant=False), "第八条第（二）项", id="security"
    ),
    # （三）"不符合国家安全可靠应用政策的政务信息系统"
    pytest.param(
        system("社保业务系统", secure_reliable=False), "第八条第（三）项", id="not-secure-reliable"
    ),
    # （四）"未按要求报批或者备案的政务信息系统"
    pytest.param(system("社保业务系统", reported=False), "第八条第（四）项", id="not-reported"),
]


@pytest.mark.parametrize("tenant", [CITY, RAOPING])
@pytest.mark.parametrize("relation", ["operate", "upgrade"])
@pytest.mark.parametrize("amount", [1_000_000, 1_000_001, 50_000_000])
@pytest.mark.parametrize(("bad_system", "article"), ARTICLE_8_CASES)
def test_article_8_ineligible(
    tenant: str, relation: str, amount: int, bad_system: dict[str, Any], article: str
) -> None:
    # 第八条 "具有以下情形之一的，相关运行维护、运营以及升级项目原则上不予立项。"
    bad = {**bad_system, "relation": relation}
    d = decide(tenant, amount=amount, systems=[system("OA系统"), bad])
    assert d["route"]["code"] == "ineligible"
    assert d["route"]["article"] == article
    assert d["route"]["explanation"].startswith("依据《潮州市政务信息化项目管理办法》第八条")
    assert "社保业务系统" in d["route"]["explanation"]
    assert "OA系统" not in d["route"]["explanation"]
    assert d["requirements"] == []


def test_article_8_explanation_names_the_system() -> None:
    # 第八条 bars the project because of one system: the explanation names it, not the others.
    d = decide(systems=[system("OA系统"), system("社保业务系统", shares_data=False)])
    assert "社保业务系统" in d["route"]["explanation"]
    assert "OA系统" not in d["route"]["explanation"]


def test_article_8_spares_compliant_and_new_systems() -> None:
    # 第八条 concerns "相关运行维护、运营以及升级项目" of an existing system: a compliant
    # system, or a system the project builds (新建), is not barred.
    assert decide(systems=[system("OA系统")])["route"]["code"] == "filing"
    new = {
        "id": "新系统",
        "relation": "build",
        "reported": False,
        "shares_data": False,
        "secure_reliable": False,
    }
    assert decide(systems=[new])["route"]["code"] == "filing"


def test_classified_beats_article_8() -> None:
    # 第四条: a classified project is outside this 办法 altogether.
    d = decide(
        classified=True,
        service_types=["operations_maintenance"],
        systems=[system("涉密系统", shares_data=False)],
    )
    assert d["route"]["code"] == "classified_rules"


# ---------------------------------------------------------------------------
# Requirements
# ---------------------------------------------------------------------------
# (facts, code, mandatory, article, actor); each row says: the decision has this duty.
REQUIREMENT_CASES = [
    # 第五条 "……政务数据资源目录，作为项目立项审批的必备条件。"
    pytest.param({}, "data_resource_catalog", True, "第五条", "unit_officer", id="catalog-filing"),
    pytest.param(
        {"amount": 2_000_000},
        "data_resource_catalog",
        True,
        "第五条",
        "unit_officer",
        id="catalog-approval",
    ),
    # 第十三条 "涉及财政新增资金的项目，各级各单位应在申请立项或备案前征求本级财政部门意见。"
    pytest.param(
        {"new_fiscal_funds": True},
        "finance_opinion_before_application",
        True,
        "第十三条",
        "unit_officer",
        id="new-funds-filing",
    ),
    pytest.param(
        {"new_fiscal_funds": True, "amount": 2_000_000},
        "finance_opinion_before_application",
        True,
        "第十三条",
        "unit_officer",
        id="new-funds-approval",
    ),
    # 第十一条第（一）项 "……组织内部论证后向本级政务服务数据管理部门申请立项。"
    pytest.param(
        {"amount": 1_000_001},
        "internal_review",
        True,
        "第十一条第（一）项",
        "unit_officer",
        id="prof-approval-internal-review",
    ),
    # 第十一条第（二）项 "各级政务服务数据管理部门组织本级专业类项目专家评审和造价审核后……"
    pytest.param(
        {"amount": 1_000_001},
        "expert_review",
        True,
        "第十一条第（二）项",
        "bureau_officer",
        id="prof-approval-expert-review",
    ),
    pytest.param(
        {"amount": 1_000_001},
        "cost_review",
        True,
        "第十一条第（二）项",
        "bureau_officer",
        id="prof-approval-cost-review",
    ),
    # 第十一条第（三）项 "各级财政部门组织本级专业类项目资金审核"
    pytest.param(
        {"amount": 1_000_001},
        "finance_review",
        True,
        "第十一条第（三）项",
        "finance_officer",
        id="prof-approval-finance-review",
    ),
    # 第十条第（二）项 "市政务服务数据管理局组织公共类项目专家评审和造价审核后……"
    pytest.param(
        {"amount": 1_000_001, "project_class": "public"},
        "expert_review",
        True,
        "第十条第（二）项",
        "bureau_officer",
        id="public-approval-expert-review",
    ),
    pytest.param(
        {"amount": 1_000_001, "project_class": "public"},
        "cost_review",
        True,
        "第十条第（二）项",
        "bureau_officer",
        id="public-approval-cost-review",
    ),
    # 第十条第（三）项 "市财政局组织公共类项目资金审核"
    pytest.param(
        {"amount": 1_000_001, "project_class": "public"},
        "finance_review",
        True,
        "第十条第（三）项",
        "finance_officer",
        id="public-approval-finance-review",
    ),
    # 第十二条第（一）项 "公共类项目由市政务服务数据管理局编制项目方案，组织内部论证，完成立项备案。"
    pytest.param(
        {"project_class": "public"},
        "internal_review",
        True,
        "第十二条第（一）项",
        "bureau_officer",
        id="public-filing-internal-review",
    ),
    # 第十二条第（二）项 "专业类项目由各级各单位编制项目方案，组织内部论证，并报本级政务服务数据管理部门备案审核通过后完成立项。"
    pytest.param(
        {},
        "internal_review",
        True,
        "第十二条第（二）项",
        "unit_officer",
        id="prof-filing-internal-review",
    ),
    # 第二十九条 "……参照本办法执行，采取备案制管理。" → the filing steps of 第十二条 apply.
    pytest.param(
        {"funding": "non_fiscal", "amount": 5_000_000},
        "internal_review",
        True,
        "第十二条第（二）项",
        "unit_officer",
        id="non-fiscal-internal-review",
    ),
    # 第十七条 "……并根据实际需要委托监理单位对项目实施进行监理。" — optional
    pytest.param(
        {"amount": 50_000_000},
        "supervision",
        False,
        "第十七条",
        "unit_officer",
        id="supervision-optional-large",
    ),
    pytest.param({}, "supervision", False, "第十七条", "unit_officer", id="supervision-optional"),
    # 第十八条 "……定期开展网络安全检测与风险评估"
    pytest.param(
        {},
        "security_assessment",
        True,
        "第十八条",
        "unit_officer",
        id="security-assessment-professional",
    ),
    pytest.param(
        {"project_class": "public"},
        "security_assessment",
        True,
        "第十八条",
        "bureau_officer",
        id="security-assessment-public",
    ),
    # 第十九条 "……根据需要向市政务服务数据管理局申请基础设施服务……由市政务服务数据管理局审核分配。"
    pytest.param(
        {"service_types": ["infrastructure"]},
        "resource_usage_list",
        False,
        "第十九条",
        "unit_officer",
        id="infrastructure-request",
    ),
    # 第二十一条 "各级各单位承担的专业类项目验收前应按照数字政府改革建设标准和要求进行符合性审查"
    pytest.param(
        {"amount": 1_000_001},
        "conformity_review",
        True,
        "第二十一条",
        "unit_officer",
        id="conformity-review-prof-approval",
    ),
    # 第二十一条 "市政务服务数据管理局和各级各单位分别承担公共类项目和专业类项目的验收责任。"
    pytest.param({}, "acceptance", True, "第二十一条", "unit_officer", id="acceptance-prof"),
    pytest.param(
        {"project_class": "public"},
        "acceptance",
        True,
        "第二十一条",
        "bureau_officer",
        id="acceptance-public",
    ),
    # 第十条第（一）项 "市政务服务数据管理局负责收集汇总各级各单位的公共类需求，编制公共类项目方案。"
    pytest.param(
        {"project_class": "public"},
        "demand_aggregation",
        True,
        "第十条第（一）项",
        "bureau_officer",
        id="public-demand-aggregation",
    ),
    # 第二十二条 "各级各单位应当按照国家和省市有关档案管理的规定，做好项目档案管理，并探索应用电子档案。"
    pytest.param(
        {}, "archive_management", True, "第二十二条", "unit_officer", id="archive-management"
    ),
    # 第二十四条 "各级财政部门依法对本级政务信息化项目资金使用、项目绩效进行监督"
    pytest.param(
        {},
        "performance_evaluation",
        False,
        "第二十四条",
        "finance_officer",
        id="performance-supervision",
    ),
]


@pytest.mark.parametrize(("facts", "code", "mandatory", "article", "actor"), REQUIREMENT_CASES)
def test_requirement_present(
    facts: dict[str, Any], code: str, mandatory: bool, article: str, actor: str
) -> None:
    d = decide(CITY, **facts)
    matching = [r for r in req(d, code) if r["article"] == article]
    assert matching, (
        f"{code} {article} missing from {[(r['code'], r['article']) for r in d['requirements']]}"
    )
    [r] = matching
    assert r["mandatory"] is mandatory
    assert r["actor"] == actor
    assert r["explanation"]


# (facts, code): the decision must NOT carry this duty.
ABSENT_CASES = [
    # 第十条: the public-class procedure has no 内部论证 step (the bureau compiles the plan).
    pytest.param(
        {"amount": 1_000_001, "project_class": "public"},
        "internal_review",
        id="public-approval-no-internal-review",
    ),
    # 第十二条: filing has no expert, cost or funds review.
    pytest.param({}, "expert_review", id="filing-no-expert-review"),
    pytest.param({}, "cost_review", id="filing-no-cost-review"),
    pytest.param({}, "finance_review", id="filing-no-finance-review"),
    # 第二十一条 "采取备案制管理的专业类项目无需进行符合性审查"
    pytest.param({}, "conformity_review", id="prof-filing-no-conformity-review"),
    pytest.param(
        {"amount": 1_000_000}, "conformity_review", id="prof-1000000-no-conformity-review"
    ),
    # Public-class acceptance is the bureau's own (第二十一条): no conformity review.
    pytest.param(
        {"amount": 1_000_001, "project_class": "public"},
        "conformity_review",
        id="public-no-conformity-review",
    ),
    # 第十三条 only when 财政新增资金.
    pytest.param({}, "finance_opinion_before_application", id="no-new-funds-no-opinion"),
    # 第十四条 is a county duty.
    pytest.param({"amount": 1_000_001}, "report_to_parent", id="city-does-not-report"),
    # 第二十二条 asks for 档案管理, not an 档案验收 gate (contrast 坡头区 第二十三条).
    pytest.param({}, "archive_acceptance", id="no-archive-acceptance-gate"),
    # 第十条第（一）项 需求汇总 is for public-class projects only.
    pytest.param({}, "demand_aggregation", id="prof-no-demand-aggregation"),
    # No 自评价 duty in this 办法.
    pytest.param({}, "self_evaluation", id="no-self-evaluation"),
    # 第十九条 only for infrastructure services.
    pytest.param({}, "resource_usage_list", id="no-infrastructure-no-request"),
]


@pytest.mark.parametrize(("facts", "code"), ABSENT_CASES)
def test_requirement_absent(facts: dict[str, Any], code: str) -> None:
    assert code not in codes(decide(CITY, **facts))


@pytest.mark.parametrize(
    ("route_facts", "expected_order"),
    [
        # 第十一条 (一)内部论证 → (二)专家评审和造价审核 → (三)资金审核
        (
            {"amount": 1_000_001},
            ["internal_review", "expert_review", "cost_review", "finance_review"],
        ),
        # 第十条 (二)专家评审和造价审核 → (三)资金审核
        (
            {"amount": 1_000_001, "project_class": "public"},
            ["expert_review", "cost_review", "finance_review"],
        ),
    ],
)
def test_approval_steps_in_article_order(
    route_facts: dict[str, Any], expected_order: list[str]
) -> None:
    d = decide(CITY, **route_facts)
    steps = sorted(
        (r for r in d["requirements"] if r["stage"] == "approval"), key=lambda r: r["order"]
    )
    assert [r["code"] for r in steps] == expected_order


def test_crypto_project_is_assessed() -> None:
    # 第十八条 "涉及密码应用的项目应当……同步规划、同步建设、同步运行密码保障系统并定期进行评估。"
    d = decide(uses_crypto=True)
    assert any("密码" in r["explanation"] and r["mandatory"] for r in req(d, "security_assessment"))
    assert not any("密码" in r["explanation"] for r in req(decide(), "security_assessment"))
    # The 办法 names no 密码应用审核 step in 第十条/第十一条 (contrast 坡头区).
    assert "crypto_review" not in codes(decide(uses_crypto=True, amount=1_000_001))


@pytest.mark.parametrize("tenant", list(COUNTIES))
@pytest.mark.parametrize(
    ("amount", "project_class", "reports"),
    [
        # 第十四条 "各县（区）政务服务数据管理部门完成立项的批复结果应同步报送市政务服务数据管理局。"
        (1_000_001, "professional", True),
        (1_000_000, "professional", True),  # 备案 also "完成立项" (第十二条第（二）项)
        # Public-class projects are approved by the city bureau itself (第十条第（四）项).
        (1_000_001, "public", False),
    ],
)
def test_county_reports_to_city(
    tenant: str, amount: int, project_class: str, reports: bool
) -> None:
    d = decide(tenant, amount=amount, project_class=project_class)
    found = req(d, "report_to_parent")
    assert bool(found) is reports
    if reports:
        [r] = found
        assert r["mandatory"] is True
        assert r["article"] == "第十四条"
        assert r["actor"] == "bureau_officer"
        assert r["authority"] == "市政务服务数据管理局"


@pytest.mark.parametrize("tenant", list(COUNTIES))
def test_county_infrastructure_goes_through_the_county(tenant: str) -> None:
    # 第十九条 "县（区）各有关单位根据需要由县（区）政务服务数据管理部门汇总向市政务服务数据管理局申请基础设施服务"
    _, county = COUNTIES[tenant]
    [r] = req(decide(tenant, service_types=["infrastructure"]), "resource_usage_list")
    assert r["mandatory"] is False
    assert r["authority"] == "市政务服务数据管理局"
    assert county in r["explanation"]


# ---------------------------------------------------------------------------
# Time limits
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("tenant", ALL_TENANTS)
def test_adjustment_limit_is_15_percent(tenant: str) -> None:
    # 第二十条 "……资金调整数额不超过项目总金额15％……各级各单位可以自行调整，并及时报本级政务服务数据管理部门备案。"
    d = decide(tenant)
    [limit] = [t for t in d["time_limits"] if t["code"] == "adjustment_limit"]
    assert limit["article"] == "第二十条"
    assert float(limit["ratio"]) == pytest.approx(0.15)
    assert "15%" in limit["explanation"]


def test_no_approval_cutoff_or_evaluation_deadline() -> None:
    # Unlike 坡头区 第十四条/第二十四条, this 办法 sets no 立项截止 and no 自评价期限.
    got = {t["code"] for t in decide(amount=2_000_000)["time_limits"]}
    assert got == {"adjustment_limit"}


# ---------------------------------------------------------------------------
# Every line cites an article that exists in the source
# ---------------------------------------------------------------------------
CITATION_FACTS = [
    *(p.values[0] for p in SCOPE_CASES),
    *(
        {"project_class": c, "service_types": s, "amount": a}
        for c, s, a, *_ in (p.values for p in ROUTE_CASES)
    ),
    *(p.values[0] for p in REQUIREMENT_CASES),
    {"uses_crypto": True, "new_fiscal_funds": True, "service_types": ["infrastructure"]},
    *({"systems": [p.values[0]]} for p in ARTICLE_8_CASES),
]


@pytest.mark.parametrize("tenant", ALL_TENANTS)
@pytest.mark.parametrize("facts", CITATION_FACTS)
def test_every_decision_line_cites_an_existing_article(tenant: str, facts: dict[str, Any]) -> None:
    d = decide(tenant, **facts)
    check_citations(d, SOURCE)


# ---------------------------------------------------------------------------
# Property: more money never means a lighter procedure
# ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tenant=st.sampled_from(ALL_TENANTS),
    project_class=st.sampled_from(["public", "professional"]),
    services=service_types(5),
    funding=st.sampled_from(["fiscal", "non_fiscal"]),
    low=st.integers(min_value=0, max_value=100_000_000),
    delta=st.integers(min_value=1, max_value=100_000_000),
)
def test_raising_the_amount_never_lightens_the_route(
    tenant: str, project_class: str, services: list[str], funding: str, low: int, delta: int
) -> None:
    facts = {"project_class": project_class, "service_types": services, "funding": funding}
    a = decide(tenant, amount=low, **facts)["route"]["code"]
    b = decide(tenant, amount=low + delta, **facts)["route"]["code"]
    assert LIGHTNESS[a] <= LIGHTNESS[b], (low, a, low + delta, b)


@pytest.mark.parametrize("tenant", ALL_TENANTS)
@pytest.mark.parametrize("facts", CITATION_FACTS)
def test_citations_exist_engine_helper(tenant: str, facts: dict[str, Any]) -> None:
    # The engine's own check: the article of every line and of every trace entry is in
    # the source, and each explanation opens with 依据《潮州市政务信息化项目管理办法》<article>，
    pack = registry().pack_for(tenant, ON)
    assert_citations_exist(pack, evaluate(pack, validate_facts(pack, project(**facts)), ON))


@pytest.mark.parametrize("tenant", ALL_TENANTS)
def test_only_vocabulary_codes(tenant: str) -> None:
    assert_known_codes(registry().pack_for(tenant, ON))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tenant=st.sampled_from(ALL_TENANTS),
    project_class=st.sampled_from(["public", "professional"]),
    services=service_types(5),
    funding=st.sampled_from(["fiscal", "non_fiscal"]),
    flags=st.fixed_dictionaries(
        {k: st.booleans() for k in ("new_fiscal_funds", "uses_crypto", "mandated")}
    ),
)
def test_amount_monotonic_engine_helper(
    tenant: str, project_class: str, services: list[str], funding: str, flags: dict[str, bool]
) -> None:
    # Every band edge, parameter and literal ±1 (999999 / 1000000 / 1000001 among them).
    pack = registry().pack_for(tenant, ON)
    facts = project(project_class=project_class, service_types=services, funding=funding, **flags)
    seen = assert_amount_monotonic(pack, facts, on=ON)
    assert {999_999, 1_000_000, 1_000_001} <= {a for a, _ in seen}
