"""The steps a decision prescribes, the budget-year cut-off and the validity flag (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from libs.common.settings import service_settings
from libs.policy import evaluate, load_registry, validate_facts
from services.approval.documents.service import budget_year_of, document_view
from services.approval.models import ApprovalDocument
from services.approval.workflow import plan

REGISTRY = load_registry(service_settings("approval").policies_dir)


def decide(tenant: str, on: date, **facts: Any) -> dict[str, Any]:
    base = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
        "software_amount": 800_000,
        "in_annual_plan": True,
    }
    pack = REGISTRY.pack_for(tenant, on)
    body: dict[str, Any] = evaluate(pack, validate_facts(pack, {**base, **facts}), on).model_dump(
        mode="json"
    )
    return body


def codes(decision: dict[str, Any]) -> list[str]:
    return [s.code for s in plan.planned_steps(decision)]


def test_yunan_public_approval_follows_article_11_in_order() -> None:
    d = decide("445322", date(2026, 6, 1), project_class="public")
    assert codes(d) == [
        "expert_review",
        "cost_review",
        "finance_review",
        "funding_application",
        "approval_decision",
    ]
    assert plan.planned_steps(d)[-1].article == "第十条"


def test_yunan_crypto_review_comes_in_when_the_project_uses_crypto() -> None:
    d = decide("445322", date(2026, 6, 1), project_class="public", uses_crypto=True)
    steps = plan.planned_steps(d)
    crypto = [s for s in steps if s.code == "crypto_review"]
    assert len(crypto) == 1 and crypto[0].role == "crypto_officer"
    assert crypto[0].article == "第十一条第（二）项"
    assert [s.code for s in steps].index("crypto_review") < [s.code for s in steps].index(
        "finance_review"
    )


def test_chaozhou_filing_ends_with_the_bureaus_acknowledgement() -> None:
    d = decide("445100", date(2026, 6, 1))
    assert d["route"]["code"] == "filing"
    assert codes(d)[-1] == "filing_acknowledgement"
    # The county's report to the city is done after the result, not as a review step.
    county = decide("445102", date(2026, 6, 1))
    assert "report_to_parent" not in codes(county)
    assert [r["article"] for r in plan.after_result(county)] == ["第十四条"]


@pytest.mark.parametrize(
    ("facts", "route"),
    [
        ({"amount": 50_000, "software_amount": 50_000}, "self_managed"),
        ({"classified": True}, "classified_rules"),
    ],
)
def test_routes_without_review_have_no_steps(facts: dict[str, Any], route: str) -> None:
    d = decide("445322", date(2026, 6, 1), **facts)
    assert d["route"]["code"] == route and plan.planned_steps(d) == []


def test_laizhou_duties_carry_supervision_testing_and_standard() -> None:
    d = decide(
        "370683",
        date(2023, 6, 1),
        category="governance",
        amount=6_000_000,
        software_amount=3_000_000,
    )
    duties = {x["code"] for x in plan.duties(d)}
    assert {"supervision", "third_party_testing", "standard_authoring"} <= duties


POTOU_CUTOFF = {"code": "approval_due", "date": "--09-30", "article": "第十四条"}


@pytest.mark.parametrize(
    ("approved_on", "expected"),
    [
        (date(2026, 9, 30), (2027, True)),  # on the day: in time
        (date(2026, 10, 1), (2028, False)),
        (date(2026, 1, 1), (2027, True)),
        (date(2026, 12, 31), (2028, False)),
    ],
)
def test_potou_cutoff_decides_the_budget_year(
    approved_on: date, expected: tuple[int, bool]
) -> None:
    assert budget_year_of(approved_on, POTOU_CUTOFF) == expected
    assert budget_year_of(approved_on, None) == (None, None)


def test_an_approval_past_its_validity_is_flagged_expired() -> None:
    doc = ApprovalDocument(
        id=uuid.uuid4(),
        tenant_id="445322",
        workflow_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        kind="approval",
        number="郁政数立〔2024〕1号",
        approved_on=date(2024, 2, 29),
        approved_amount=800_000,
        article="第十条",
        valid_until=date(2026, 2, 28),
        validity_article="第十二条第（二）项",
        budget_year=None,
        enters_next_year_budget=None,
        cutoff_article=None,
        duties=[],
        expired_notified=False,
        created_at=datetime.now(UTC),
    )
    assert document_view(doc, today=date(2026, 2, 28))["expired"] is False
    assert document_view(doc, today=date(2026, 3, 1))["expired"] is True
