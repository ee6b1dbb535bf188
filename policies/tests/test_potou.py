"""坡头区区级政务信息化服务项目管理办法（试行）（征求意见稿）, as the pack of 坡头区 440804 decides.

The text is a draft for comment with no issue date: it covers every date and
every decision is provisional, saying the date is not yet published. 第十二条's
政府采购限额 is not in the text: the bureau sets it (with its 文号 and date). The
route tables below are judged with a limit of 100万元 as the bureau would set it
(``BUREAU_LIMIT``); tests/test_potou_discretion.py covers the unset limit.

Every table row quotes the sentence of the draft it tests.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.policy import evaluate, validate_facts
from libs.policy.bind import bind_parameters
from libs.policy.pack import Pack
from libs.policy.parameters import ParameterSetting
from libs.policy.testing import (
    assert_amount_monotonic,
    assert_citations_exist,
    assert_known_codes,
)
from libs.vocab import LIGHTNESS

from .support import (
    check_citations,
    codes,
    decision,
    limit,
    registry,
    req,
    service_types,
    source_text,
)

SOURCE = source_text("440804-potou")
POTOU = "440804"
ON = date(2025, 3, 1)
# What the bureau would record: 100万元 (广东省分散采购限额标准, 服务). The 文号 is a test's.
BUREAU_LIMIT = ParameterSetting(
    name="procurement_limit",
    value=1_000_000,
    document="坡政数〔2025〕1号（测试）",
    document_date=date(2025, 1, 2),
    effective_from=date(2025, 1, 2),
)


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


def potou(on: date = ON) -> Pack:
    """The 坡头区 pack of ``on`` with the bureau's procurement limit bound."""
    return bind_parameters(registry().pack_for(POTOU, on), [BUREAU_LIMIT])


def decide(on: date = ON, **overrides: Any) -> dict[str, Any]:
    """The decision JSON for a 坡头区 project submitted on ``on``."""
    return decision(potou(on), project(**overrides), on)


# ---------------------------------------------------------------------------
# Validity: a draft. 第三十一条 "本办法自印发之日起试行。" — not yet 印发.
# ---------------------------------------------------------------------------
def test_an_undated_draft_covers_every_date() -> None:
    # 第三十一条 "本办法自印发之日起试行。" — no 印发 date: no date is invented either.
    assert registry().pack_for(POTOU, date(2001, 1, 1)).id == "potou-draft"


@pytest.mark.parametrize("on", [date(2024, 1, 1), date(2025, 3, 1), date(2030, 12, 31)])
def test_draft_decides_provisionally(on: date) -> None:
    # 征求意见稿: a draft covering the date still evaluates, with provisional: true.
    d = decide(on=on)
    assert d["provisional"] is True
    assert d["policy"]["status"] == "draft"
    assert d["policy"]["id"] == "potou-draft"
    assert d["policy"]["document"] == "征求意见稿"
    assert d["tenant"] == POTOU
    assert any("施行日期尚未公布（第三十一条）" in r for r in d["provisional_reasons"])


def test_the_pack_invents_neither_date_nor_limit() -> None:
    pack = registry().pack_for(POTOU, ON)
    assert pack.spec.status == "draft"
    assert pack.spec.document.issued is None
    assert pack.spec.validity.effective_from is None
    assert pack.spec.validity.effective_to is None
    assert pack.spec.validity.article == "第三十一条"
    # 第十二条 "政府采购限额以下……" — the amount is not in the text: the bureau sets it.
    limit_param = pack.spec.parameters["procurement_limit"]
    assert limit_param.value is None
    assert limit_param.set_by == "bureau_officer"
    assert limit_param.article == "第十二条"
    # 第七条 "原则上保持本单位政务信息系统总量'只减不增'。"
    no_increase = pack.spec.parameters["systems_no_net_increase"]
    assert no_increase.value is True
    assert no_increase.article == "第七条"


# ---------------------------------------------------------------------------
# Scope: 第二条, 第五条, 第二十九条
# ---------------------------------------------------------------------------
SCOPE_CASES = [
    # 第五条 "本办法适用于非涉密区级政务信息化项目，涉密区级政务信息化项目按有关规定执行。"
    pytest.param({"classified": True}, "classified_rules", "第五条", id="classified"),
    pytest.param(
        {"classified": True, "fixed_asset_investment": True, "funding": "non_fiscal"},
        "classified_rules",
        "第五条",
        id="classified-first",
    ),
    # 第二条 "区级政务信息化项目，是指使用区本级财政资金采购的政务信息系统相关服务项目" — no clause for other money.
    pytest.param({"funding": "non_fiscal"}, "out_of_scope", "第二条", id="non-fiscal"),
    pytest.param(
        {"funding": "non_fiscal", "amount": 50_000_000},
        "out_of_scope",
        "第二条",
        id="non-fiscal-large",
    ),
]


@pytest.mark.parametrize(("facts", "route", "article"), SCOPE_CASES)
def test_scope(facts: dict[str, Any], route: str, article: str) -> None:
    d = decide(**facts)
    assert d["route"]["code"] == route
    assert d["route"]["article"] == article
    assert d["requirements"] == []


def test_government_investment_is_led_by_the_development_bureau() -> None:
    # 第二十九条 "涉及固定资产投资、属于《政府投资条例》（国务院令第712号）约束范围的区级政务信息化项目审批
    # 由区发展改革局牵头负责。" — only the 审批 moves (policies/tests/test_review_errors.py).
    d = decide(fixed_asset_investment=True)
    assert (d["route"]["code"], d["route"]["article"]) == ("government_investment", "第二十九条")
    assert d["route"]["authority"] == "区发展改革局"
    assert "区发展改革局" in d["route"]["explanation"]


# ---------------------------------------------------------------------------
# Routes: 第十条, 第十一条, 第十二条
# ---------------------------------------------------------------------------
ROUTE_CASES = [
    # 第十二条 "……政府采购限额以下的基础设施服务、软件开发服务和系统业务运营服务项目，可采取备案制管理。"
    # 以下 here excludes the limit: under the Guangdong standard the pack cites, 100万元以上（含）
    # must be procured, so 100万元 itself is not "限额以下" (limit as the bureau sets it: 100万元).
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
        "approval",
        "第十一条",
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
        "approval",
        "第十一条",
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
        "approval",
        "第十一条",
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
        "approval",
        "第十条",
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
    # 第十二条 "运行维护服务、第三方服务……项目，可采取备案制管理。" — any amount.
    pytest.param(
        "professional",
        ["operations_maintenance"],
        30_000_000,
        "filing",
        "第十二条第（二）项",
        id="prof-om-3000wan",
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
        "public",
        ["operations_maintenance", "third_party"],
        5_000_000,
        "filing",
        "第十二条第（一）项",
        id="public-om-third-party",
    ),
    pytest.param(
        "professional",
        ["operations_maintenance", "software_development"],
        1_000_001,
        "approval",
        "第十一条",
        id="prof-om-plus-software-1000001",
    ),
    # No 自行管理 tier in the draft: the smallest project is still filed.
    pytest.param(
        "professional",
        ["software_development"],
        0,
        "filing",
        "第十二条第（二）项",
        id="prof-zero-filed",
    ),
]


@pytest.mark.parametrize(("project_class", "services", "amount", "route", "article"), ROUTE_CASES)
def test_route(
    project_class: str, services: list[str], amount: int, route: str, article: str
) -> None:
    d = decide(project_class=project_class, service_types=services, amount=amount)
    assert d["route"]["code"] == route
    assert d["route"]["article"] == article
    assert d["route"]["authority"] == "区政务服务数据管理局"
    assert d["route"]["explanation"].startswith(
        "依据《坡头区区级政务信息化服务项目管理办法（试行）》"
    )


@pytest.mark.parametrize(
    ("amount", "parts"),
    [
        (1_000_000, ["100万元", "政府采购限额", "区政务服务数据管理局"]),
        (1_000_001, ["100.0001万元", "100万元", "区政务服务数据管理局"]),
    ],
)
def test_route_explanation_names_numbers(amount: int, parts: list[str]) -> None:
    text = decide(amount=amount)["route"]["explanation"]
    for part in parts:
        assert part in text


# ---------------------------------------------------------------------------
# 第八条
# ---------------------------------------------------------------------------
ARTICLE_8_CASES = [
    # （一）"未纳入政务信息系统目录的系统。"
    pytest.param(system("渔政执法系统", in_catalog=False), "第八条第（一）项", id="not-in-catalog"),
    # （二）"未按要求共享数据资源或重复采集数据的政务信息系统。"
    pytest.param(system("渔政执法系统", shares_data=False), "第八条第（二）项", id="no-sharing"),
    pytest.param(
        system("渔政执法系统", duplicate_collection=True),
        "第八条第（二）项",
        id="duplicate-collection",
    ),
    # （三）"不符合密码应用和网络安全要求，或者存在重大安全隐患的政务信息系统。"
    pytest.param(system("渔政执法系统", crypto_compliant=False), "第八条第（三）项", id="crypto"),
    pytest.param(
        system("渔政执法系统", security_compliant=False), "第八条第（三）项", id="security"
    ),
    # （四）"不符合国家安全可靠应用政策的政务信息系统。"
    pytest.param(
        system("渔政执法系统", secure_reliable=False), "第八条第（四）项", id="not-secure-reliable"
    ),
]


@pytest.mark.parametrize("relation", ["operate", "upgrade"])
@pytest.mark.parametrize("services", [["operations_maintenance"], ["software_development"]])
@pytest.mark.parametrize(("bad_system", "article"), ARTICLE_8_CASES)
def test_article_8_ineligible(
    relation: str, services: list[str], bad_system: dict[str, Any], article: str
) -> None:
    # 第八条 "具有以下情形之一的，相关运行维护、运营以及升级项目原则上不予立项。"
    d = decide(
        service_types=services, systems=[system("OA系统"), {**bad_system, "relation": relation}]
    )
    assert d["route"]["code"] == "ineligible"
    assert d["route"]["article"] == article
    assert "渔政执法系统" in d["route"]["explanation"]
    assert "OA系统" not in d["route"]["explanation"]
    assert d["provisional"] is True


def test_article_8_spares_new_and_compliant_systems() -> None:
    assert decide(systems=[system("OA系统")])["route"]["code"] == "filing"
    new = {"id": "新系统", "relation": "build", "in_catalog": False}
    assert decide(systems=[new])["route"]["code"] == "filing"


def test_article_8_explanation_names_the_system() -> None:
    d = decide(systems=[system("OA系统"), system("渔政执法系统", in_catalog=False)])
    assert "渔政执法系统" in d["route"]["explanation"]
    assert "OA系统" not in d["route"]["explanation"]


# ---------------------------------------------------------------------------
# Requirements
# ---------------------------------------------------------------------------
PROF_APPROVAL = {"amount": 1_000_001}
PUBLIC_APPROVAL = {"amount": 1_000_001, "project_class": "public"}

REQUIREMENT_CASES = [
    # 第六条 "……政务数据资源目录，作为项目立项审批的必备条件。"
    pytest.param({}, "data_resource_catalog", True, "第六条", "unit_officer", id="catalog"),
    # 第十三条 "涉及财政新增资金的项目，区各有关单位应在申请立项或备案前征求区财政局意见。"
    pytest.param(
        {"new_fiscal_funds": True},
        "finance_opinion_before_application",
        True,
        "第十三条",
        "unit_officer",
        id="new-funds-opinion",
    ),
    # 第十一条第（一）项 "……组织内部论证后向区政务服务数据管理局申请立项。"
    pytest.param(
        PROF_APPROVAL,
        "internal_review",
        True,
        "第十一条第（一）项",
        "unit_officer",
        id="prof-internal-review",
    ),
    # 第十一条第（二）项 "区政务服务数据管理局组织开展专业类项目立项初审和专家评审后……"
    pytest.param(
        PROF_APPROVAL,
        "expert_review",
        True,
        "第十一条第（二）项",
        "bureau_officer",
        id="prof-expert-review",
    ),
    # 第十一条第（二）项 "涉及密码应用的项目，由区国家保密局出具密码应用审核意见。"
    pytest.param(
        {**PROF_APPROVAL, "uses_crypto": True},
        "crypto_review",
        True,
        "第十一条第（二）项",
        "crypto_officer",
        id="prof-crypto-review",
    ),
    # 第十一条第（三）项 "原'造价审核'整合到'资金审核'环节，由区财政局组织专业类项目资金审核……"
    pytest.param(
        PROF_APPROVAL,
        "finance_review",
        True,
        "第十一条第（三）项",
        "finance_officer",
        id="prof-finance-review",
    ),
    # 第十条第（二）项 "区政务服务数据管理局组织公共类项目专家评审后……"
    pytest.param(
        PUBLIC_APPROVAL,
        "expert_review",
        True,
        "第十条第（二）项",
        "bureau_officer",
        id="public-expert-review",
    ),
    # 第十条第（二）项 "涉及密码应用的项目，由区国家保密局出具密码应用审核意见。"
    pytest.param(
        {**PUBLIC_APPROVAL, "uses_crypto": True},
        "crypto_review",
        True,
        "第十条第（二）项",
        "crypto_officer",
        id="public-crypto-review",
    ),
    # 第十条第（三）项 "原'造价审核'整合到'资金审核'环节，由区财政局组织公共类项目资金审核……"
    pytest.param(
        PUBLIC_APPROVAL,
        "finance_review",
        True,
        "第十条第（三）项",
        "finance_officer",
        id="public-finance-review",
    ),
    # 第十二条第（一）项 "公共类项目由区政务服务数据管理局编制项目方案，组织内部论证，按程序报批后完成立项。"
    pytest.param(
        {"project_class": "public"},
        "internal_review",
        True,
        "第十二条第（一）项",
        "bureau_officer",
        id="public-filing-internal-review",
    ),
    # 第十二条第（二）项 "专业类项目由区各有关单位编制项目方案，组织内部论证，并报区政务服务数据管理局备案审核通过后完成立项。"
    pytest.param(
        {},
        "internal_review",
        True,
        "第十二条第（二）项",
        "unit_officer",
        id="prof-filing-internal-review",
    ),
    # 第十五条 "区各有关单位应定期将本单位区级政务信息化项目资金使用情况报区财政局。"
    pytest.param({}, "fund_usage_report", True, "第十五条", "unit_officer", id="fund-usage-report"),
    # 第十七条 "……并根据实际需要委托监理单位对项目实施进行监理。"
    pytest.param({}, "supervision", False, "第十七条", "unit_officer", id="supervision-optional"),
    pytest.param(
        {"amount": 50_000_000},
        "supervision",
        False,
        "第十七条",
        "unit_officer",
        id="supervision-optional-large",
    ),
    # 第十八条 "……定期开展网络安全检测与风险评估"
    pytest.param(
        {}, "security_assessment", True, "第十八条", "unit_officer", id="security-assessment"
    ),
    # 第十九条 "区各有关单位根据需要向区政务服务数据管理局申请公共基础设施服务"
    pytest.param(
        {"service_types": ["infrastructure"]},
        "resource_usage_list",
        False,
        "第十九条",
        "unit_officer",
        id="infrastructure-request",
    ),
    # 第二十二条 "区各有关单位承担的专业类项目应在验收前按照数字政府改革建设标准和要求进行符合性审查"
    pytest.param(
        PROF_APPROVAL,
        "conformity_review",
        True,
        "第二十二条",
        "unit_officer",
        id="conformity-review",
    ),
    # 第二十三条 "未进行档案验收或者档案验收不合格的，不得通过项目验收。"
    pytest.param(
        {}, "archive_acceptance", True, "第二十三条", "unit_officer", id="archive-acceptance-filing"
    ),
    pytest.param(
        PUBLIC_APPROVAL,
        "archive_acceptance",
        True,
        "第二十三条",
        "unit_officer",
        id="archive-acceptance-public",
    ),
    # 第二十二条 "区政务服务数据管理局和区各有关单位分别承担公共类项目和专业类项目的验收责任。"
    pytest.param({}, "acceptance", True, "第二十二条", "unit_officer", id="acceptance-prof"),
    pytest.param(
        {"project_class": "public"},
        "acceptance",
        True,
        "第二十二条",
        "bureau_officer",
        id="acceptance-public",
    ),
    # 第二十四条 "区各有关单位应当在项目通过验收后12个月内，对系统运行情况进行应用效果自评价"
    pytest.param({}, "self_evaluation", True, "第二十四条", "unit_officer", id="self-evaluation"),
    # 第二十四条 "项目预算年度终了或预算执行完毕后，对项目绩效目标执行情况进行自评价"
    pytest.param(
        {},
        "performance_evaluation",
        True,
        "第二十四条",
        "unit_officer",
        id="performance-self-evaluation",
    ),
    # 第二十六条 "区财政局……视情况进行重点绩效评价"
    pytest.param(
        {},
        "performance_evaluation",
        False,
        "第二十六条",
        "finance_officer",
        id="key-performance-evaluation",
    ),
]


@pytest.mark.parametrize(("facts", "code", "mandatory", "article", "actor"), REQUIREMENT_CASES)
def test_requirement_present(
    facts: dict[str, Any], code: str, mandatory: bool, article: str, actor: str
) -> None:
    d = decide(**facts)
    matching = [r for r in req(d, code) if r["article"] == article]
    assert matching, (
        f"{code} {article} missing from {[(r['code'], r['article']) for r in d['requirements']]}"
    )
    [r] = matching
    assert r["mandatory"] is mandatory
    assert r["actor"] == actor
    assert r["explanation"]


ABSENT_CASES = [
    # 第十条第（三）项/第十一条第（三）项 "原'造价审核'整合到'资金审核'环节" — never a separate cost review.
    pytest.param(PROF_APPROVAL, "cost_review", id="prof-no-cost-review"),
    pytest.param(PUBLIC_APPROVAL, "cost_review", id="public-no-cost-review"),
    pytest.param({"amount": 80_000_000}, "cost_review", id="large-no-cost-review"),
    # 密码应用审核 only "涉及密码应用的项目"
    pytest.param(PROF_APPROVAL, "crypto_review", id="no-crypto-no-review"),
    # ... and only in the 立项 procedures of 第十条/第十一条, not in 第十二条 备案.
    pytest.param({"uses_crypto": True}, "crypto_review", id="filing-no-crypto-review"),
    # 第十条: the public-class procedure has no 内部论证.
    pytest.param(PUBLIC_APPROVAL, "internal_review", id="public-approval-no-internal-review"),
    # 第二十二条 "采取备案制管理的专业类项目无需进行符合性审查"
    pytest.param({}, "conformity_review", id="prof-filing-no-conformity"),
    pytest.param({"amount": 999_999}, "conformity_review", id="prof-999999-no-conformity"),
    pytest.param(PUBLIC_APPROVAL, "conformity_review", id="public-no-conformity"),
    # filing: no expert or funds review
    pytest.param({}, "expert_review", id="filing-no-expert-review"),
    pytest.param({}, "finance_review", id="filing-no-finance-review"),
    # 第十三条 only with 财政新增资金
    pytest.param({}, "finance_opinion_before_application", id="no-new-funds"),
    # a district reports to no one in this draft
    pytest.param(PROF_APPROVAL, "report_to_parent", id="no-report-to-parent"),
    pytest.param({}, "resource_usage_list", id="no-infrastructure-no-request"),
]


@pytest.mark.parametrize(("facts", "code"), ABSENT_CASES)
def test_requirement_absent(facts: dict[str, Any], code: str) -> None:
    assert code not in codes(decide(**facts))


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # 第十一条 (一)内部论证 → (二)立项初审和专家评审, 密码应用审核意见 → (三)资金审核
        (
            {**PROF_APPROVAL, "uses_crypto": True},
            ["internal_review", "expert_review", "crypto_review", "finance_review"],
        ),
        # 第十条 (二)专家评审, 密码应用审核意见 → (三)资金审核
        (
            {**PUBLIC_APPROVAL, "uses_crypto": True},
            ["expert_review", "crypto_review", "finance_review"],
        ),
        (PUBLIC_APPROVAL, ["expert_review", "finance_review"]),
    ],
)
def test_approval_steps_in_article_order(facts: dict[str, Any], expected: list[str]) -> None:
    d = decide(**facts)
    steps = sorted(
        (r for r in d["requirements"] if r["stage"] == "approval"), key=lambda r: r["order"]
    )
    assert [r["code"] for r in steps] == expected


def test_crypto_review_by_the_district_secrecy_bureau() -> None:
    # 第四条第（五）项 "区国家保密局负责区级政务信息化项目密码应用审核工作。"
    [r] = req(decide(**PROF_APPROVAL, uses_crypto=True), "crypto_review")
    assert "区国家保密局" in r["explanation"]


def test_archive_acceptance_comes_before_acceptance() -> None:
    # 第二十三条 "未进行档案验收或者档案验收不合格的，不得通过项目验收。"
    for facts in ({}, PROF_APPROVAL, PUBLIC_APPROVAL):
        d = decide(**facts)
        [archive] = req(d, "archive_acceptance")
        [accept] = req(d, "acceptance")
        assert archive["stage"] == accept["stage"] == "acceptance"
        assert archive["order"] < accept["order"]


# ---------------------------------------------------------------------------
# Time limits
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("facts", [{}, PROF_APPROVAL, PUBLIC_APPROVAL])
def test_approval_due_end_of_september(facts: dict[str, Any]) -> None:
    # 第十四条 "下年度开展的区级政务信息化项目原则上应于本年度9月底前完成立项。"
    [t] = limit(decide(**facts), "approval_due")
    assert t["date"] == "--09-30"
    assert t["from"] == "budget_year"  # the cut-off falls in the year before the budget year
    assert t["article"] == "第十四条"
    assert "9月30日" in t["explanation"]


def test_approval_due_waived_when_mandated() -> None:
    # 第十四条 "国家部委、省委省政府、市委市政府、区委区政府明确要求的除外。"
    assert limit(decide(mandated=True), "approval_due") == []


def test_self_evaluation_within_12_months_of_acceptance() -> None:
    # 第二十四条 "区各有关单位应当在项目通过验收后12个月内，对系统运行情况进行应用效果自评价"
    [t] = limit(decide(), "self_evaluation_due")
    assert t["from"] == "accepted"
    assert t["period"] == "P12M"
    assert t["article"] == "第二十四条"


def test_adjustment_limit_15_percent() -> None:
    # 第二十一条 "……资金调整数额不超过项目总金额15%……区各有关单位可以自行调整，同时报区政务服务数据管理局备案。"
    [t] = limit(decide(), "adjustment_limit")
    assert float(t["ratio"]) == pytest.approx(0.15)
    assert t["article"] == "第二十一条"
    assert "15%" in t["explanation"]


# ---------------------------------------------------------------------------
# Citations
# ---------------------------------------------------------------------------
CITATION_FACTS = [
    *(p.values[0] for p in SCOPE_CASES),
    *(
        {"project_class": c, "service_types": s, "amount": a}
        for c, s, a, *_ in (p.values for p in ROUTE_CASES)
    ),
    *(p.values[0] for p in REQUIREMENT_CASES),
    {
        **PROF_APPROVAL,
        "uses_crypto": True,
        "new_fiscal_funds": True,
        "service_types": ["infrastructure"],
    },
    {**PUBLIC_APPROVAL, "uses_crypto": True, "new_fiscal_funds": True},
    *({"systems": [p.values[0]]} for p in ARTICLE_8_CASES),
]


@pytest.mark.parametrize("facts", CITATION_FACTS)
def test_every_decision_line_cites_an_existing_article(facts: dict[str, Any]) -> None:
    check_citations(decide(**facts), SOURCE)


# ---------------------------------------------------------------------------
# Property: more money never means a lighter procedure
# ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    project_class=st.sampled_from(["public", "professional"]),
    services=service_types(5),
    low=st.integers(min_value=0, max_value=100_000_000),
    delta=st.integers(min_value=1, max_value=100_000_000),
)
def test_raising_the_amount_never_lightens_the_route(
    project_class: str, services: list[str], low: int, delta: int
) -> None:
    facts = {"project_class": project_class, "service_types": services}
    a = decide(amount=low, **facts)["route"]["code"]
    b = decide(amount=low + delta, **facts)["route"]["code"]
    assert LIGHTNESS[a] <= LIGHTNESS[b], (low, a, low + delta, b)


@pytest.mark.parametrize("facts", CITATION_FACTS)
def test_citations_exist_engine_helper(facts: dict[str, Any]) -> None:
    pack = registry().pack_for(POTOU, ON)
    assert_citations_exist(pack, evaluate(pack, validate_facts(pack, project(**facts)), ON))


def test_only_vocabulary_codes() -> None:
    # 第十五条's `fund_usage_report` is a vocabulary extension (docs/vocabulary-extensions.md).
    assert_known_codes(registry().pack_for(POTOU, ON))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    project_class=st.sampled_from(["public", "professional"]),
    services=service_types(5),
    flags=st.fixed_dictionaries(
        {k: st.booleans() for k in ("new_fiscal_funds", "uses_crypto", "mandated")}
    ),
)
def test_amount_monotonic_engine_helper(
    project_class: str, services: list[str], flags: dict[str, bool]
) -> None:
    pack = potou()
    facts = project(project_class=project_class, service_types=services, **flags)
    seen = assert_amount_monotonic(pack, facts, on=ON)
    assert {999_999, 1_000_000, 1_000_001} <= {a for a, _ in seen}
