"""The pre-acceptance checklist and review plan come from the decision, article by article."""

from __future__ import annotations

from typing import Any

from services.acceptance.review.checklist import build_items, missing, plan_review
from services.acceptance.tests.support.decisions import decide


def _items(decision: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for i in build_items(decision["requirements"])}


def test_laizhou_six_million_needs_supervision_and_third_party_test_reports() -> None:
    decision = decide("370683", amount=6_000_000, category="governance")
    items = _items(decision)
    assert items["supervision"]["mandatory"] and items["third_party_testing"]["mandatory"]
    assert items["supervision"]["citations"][0]["article"] == "第二十三条"
    assert items["supervision"]["doc_types"] == ["supervision_report"]
    assert items["third_party_testing"]["doc_types"] == ["test_report"]
    assert items["security_assessment"]["citations"][0]["article"] == "第二十一条"
    assert items["data_resource_catalog"]["citations"][0]["article"] == "第二十七条"
    plan = plan_review(decision["requirements"])
    # 第二十三条 asks for the reports but names no prior review: the unit checks its list.
    assert plan.mode == "self_check" and plan.reviewer_role == "unit_officer"
    assert plan.acceptance_article == "第二十三条第二款"
    blocking = {i["code"] for i in missing(list(items.values()), "review")}
    assert {"supervision", "third_party_testing"} <= blocking


def test_laizhou_below_five_million_supervision_is_optional() -> None:
    items = _items(decide("370683", amount=4_999_999, category="governance"))
    assert items["supervision"]["mandatory"] is False
    assert items["third_party_testing"]["mandatory"] is False
    assert "supervision" not in {i["code"] for i in missing(list(items.values()), "acceptance")}


def test_yunan_approval_professional_goes_through_the_bureau_conformity_review() -> None:
    decision = decide("445322", amount=800_000, in_annual_plan=True)
    assert decision["route"]["code"] == "approval"
    plan = plan_review(decision["requirements"])
    assert (plan.mode, plan.reviewer_role, plan.article) == (
        "conformity_review",
        "bureau_officer",
        "第二十一条",
    )
    items = _items(decision)
    # 第二十一条: 数据资源纳入市级管理, 支持IPv6; 第二十二条: 第三方验收测评, 信息安全测评.
    assert {
        "data_resource_catalog",
        "ipv6_support",
        "third_party_testing",
        "security_assessment",
    } <= set(items)
    testing = items["third_party_testing"]
    assert {c["article"] for c in testing["citations"]} == {"第十六条第（二）项", "第二十二条"}
    assert testing["mandatory"]  # 第二十二条 makes it part of every acceptance
    assert plan.expert_review_article == "第二十二条"
    # "将验收报告及验收材料报送县政务和数据局备案".
    assert plan.report_to == "县政务和数据局"


def test_filing_projects_skip_the_conformity_review_where_their_article_says_so() -> None:
    for tenant in ("445102", "445322", "440804"):
        # 坡头's 政府采购限额 is the bureau's to set (issue 17): until it is, only 第十二条's
        # 运行维护服务 projects are filed whatever the amount.
        extra = {"service_types": ["operations_maintenance"]} if tenant == "440804" else {}
        decision = decide(tenant, amount=300_000 if tenant == "445322" else 800_000, **extra)
        assert decision["route"]["code"] == "filing", tenant
        plan = plan_review(decision["requirements"])
        assert plan.mode == "self_check", tenant
    chaozhou = plan_review(decide("445102", amount=800_000)["requirements"])
    assert chaozhou.article == "第二十一条" and "无需进行符合性审查" in str(chaozhou.explanation)
    # Chaozhou's archive duty is explicitly not a precondition (第二十二条): no checklist item;
    # supervision (第十七条) is optional. Nothing mandatory stands between it and acceptance.
    items = _items(decide("445102", amount=800_000))
    assert set(items) == {"supervision"} and items["supervision"]["mandatory"] is False
    assert missing(list(items.values()), "acceptance") == []


def test_potou_archive_acceptance_gates_the_acceptance_not_the_review() -> None:
    items = _items(decide("440804", amount=800_000))
    archive = items["archive_acceptance"]
    assert archive["mandatory"] and archive["archive_decision"] and archive["gate"] == "acceptance"
    assert archive["citations"][0]["article"] == "第二十三条"
    assert missing(list(items.values()), "review") == []
    assert [i["code"] for i in missing(list(items.values()), "acceptance")] == [
        "archive_acceptance"
    ]
    # The periodic security assessment of 第十八条 comes after acceptance (stage post).
    assert "security_assessment" not in items


def test_public_projects_are_accepted_by_the_bureau() -> None:
    # 郁南 第二十一条: 县政务和数据局承担公共类项目的验收责任.
    decision = decide("445322", amount=800_000, in_annual_plan=True, project_class="public")
    plan = plan_review(decision["requirements"])
    assert plan.acceptance_role == "bureau_officer" and plan.acceptance_article == "第二十一条"
    assert plan.mode == "self_check"  # 符合性审查 is for 专业类项目 only
    assert plan.report_to is None  # the bureau holds it: nobody to report to
