"""The integration contract: the document is generated from the code, schemas are sound."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import jsonschema  # type: ignore[import-untyped]
import pytest

from libs.common.events import Event, from_nats, to_nats
from services.budget.finance import contract
from services.budget.finance.asyncapi import DEFAULT_PATH, document, render
from services.budget.finance.simulator import Policy, answer_for


def test_docs_asyncapi_yaml_is_what_the_code_generates() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == render(), (
        "docs/asyncapi.yaml is stale: run `govproj finance asyncapi`"
    )


def test_every_message_has_a_valid_schema_a_channel_and_an_operation() -> None:
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    for m in contract.MESSAGES:
        jsonschema.Draft202012Validator.check_schema(m.schema)
        channel = next(c for c in doc["channels"].values() if m.name in c["messages"])
        assert channel["address"] == m.subject and "{tenant}" in m.subject
        ops = [o for o in doc["operations"].values() if o["messages"][0]["$ref"].endswith(m.name)]
        assert [o["action"] for o in ops] == [m.action]
        # What finance sends lands on FINANCE (finance.<tenant>.>); ours on GOVPROJ.
        assert m.subject.startswith("finance." if m.action == "send" else "govproj.")


def _request(amount: int = 800_000) -> Event:
    data = {
        "tenant": "445322",
        "review_id": str(uuid.uuid4()),
        "project_id": str(uuid.uuid4()),
        "submission": 1,
        "workflow_id": str(uuid.uuid4()),
        "step_id": str(uuid.uuid4()),
        "decision_id": None,
        "route": "approval",
        "requested_amount": amount,
        "project_class": "professional",
        "new_fiscal_funds": None,
        "lines": [],
        "article": "第十二条第（三）项",
        "explanation": "资金审核",
        "reply_to": {
            "subject": "finance.445322.review.answered",
            "type": contract.by_type("finance.budget.review.answered.v1").type,
        },
    }
    assert contract.validate("govproj.budget.finance_review.requested.v1", data) is None
    return Event(
        id=str(uuid.uuid4()),
        type="govproj.budget.finance_review.requested.v1",
        source="/govproj/budget",
        subject="govproj.445322.budget.finance_review.requested",
        tenant="445322",
        time=datetime.now(UTC),
        actor={"type": "system", "id": "budget.finance", "tenant": "445322", "roles": []},
        data=data,
    )


@pytest.mark.parametrize("outcome", ["approve", "return", "reject"])
def test_the_simulators_answers_hold_to_the_contract_and_cross_the_wire(outcome: str) -> None:
    request = _request(800_001)
    answer = answer_for(request, Policy(outcome=outcome, ratio=Decimal("0.8"), years=3))  # type: ignore[arg-type]
    assert contract.validate(answer.type, answer.data) is None
    back = from_nats(*to_nats(answer))
    assert back.data == answer.data and back.type == "finance.budget.review.answered.v1"
    if outcome == "approve":
        # floor(800,001 × 0.8) = 640,000; three years add up to it exactly.
        assert answer.data["approved_amount"] == 640_000
        assert sum(y["amount"] for y in answer.data["funding_by_year"]) == 640_000
    else:
        assert answer.data["approved_amount"] == 0 and answer.data["funding_by_year"] == []
    # The same request gets the same answer id: a redelivery is dropped downstream.
    assert answer_for(request, Policy(outcome=outcome)).id == answer.id  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change,where",
    [
        ({"approved_amount": 1.5}, "approved_amount"),
        ({"approved_amount": "640000"}, "approved_amount"),
        ({"outcome": "maybe"}, "outcome"),
        ({"opinion": ""}, "opinion"),
        ({"review_id": "not-a-uuid"}, "review_id"),
        ({"surprise": True}, "(root)"),
        ({"tenant": "44532"}, "tenant"),
    ],
)
def test_answers_that_break_the_schema_say_where(change: dict[str, object], where: str) -> None:
    answer = answer_for(_request(), Policy())
    reason = contract.validate(answer.type, {**answer.data, **change})
    assert reason is not None and reason.startswith(f"schema: {where}"), reason
