"""Every event the platform emits has a contract, and the contracts say what travels."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from libs.contracts import CONTRACTS, PRODUCERS, contract_for
from libs.contracts.tests.emit_sites import Site, sites

# Emit sites whose event name is computed: what each expression can be, read
# from the code next to it. A new computed site fails the test until listed here.
DYNAMIC: dict[tuple[str, str, str], set[str]] = {
    # sweep.py: schedule.status_on(...) owes a reminder or an overdue notice.
    ("acceptance", "deadline", "owed"): {"reminder", "overdue"},
    # sweep.py: ext.status is "granted" or "refused" once decided.
    ("acceptance", "deadline", "f'extension_{ext.status}'"): {
        "extension_granted",
        "extension_refused",
    },
    # workflow/service.py: a change workflow closes approved, rejected or returned.
    ("approval", "change", "state"): {"approved", "rejected", "returned"},
    # workflow/service.py: a project step that does not approve returns or rejects.
    ("approval", "project", "event"): {"returned", "rejected"},
    # checks/service.py: "passed" if the report is acceptable else "failed".
    ("archive", "acceptance", "outcome"): {"passed", "failed"},
    # retention/service.py: a finding is changed, missing or untracked (models.py CHECK).
    ("archive", "fixity", "finding.classification"): {"changed", "missing", "untracked"},
}

SITES = list(sites())


def _types(site: Site) -> set[str]:
    if site.events is not None:
        return site.types
    key = (site.service, site.aggregate, site.expression)
    assert key in DYNAMIC, (
        f"{site.path}:{site.line} emits a computed event {site.expression!r}: "
        f"list its values in DYNAMIC"
    )
    return {f"govproj.{site.service}.{site.aggregate}.{e}.v1" for e in DYNAMIC[key]}


EMITTED = {t for s in SITES for t in _types(s)}


def test_the_scan_finds_every_service_emitting() -> None:
    assert {s.service for s in SITES} == set(PRODUCERS)
    assert len(EMITTED) > 60


@pytest.mark.parametrize("site", SITES, ids=lambda s: f"{s.path}:{s.line}")
def test_every_emit_site_has_a_contract(site: Site) -> None:
    missing = sorted(t for t in _types(site) if contract_for(t) is None)
    assert not missing, f"{site.path}:{site.line} emits types without a contract: {missing}"


def test_every_platform_contract_is_emitted_somewhere() -> None:
    stale = sorted(c.type for c in CONTRACTS if not c.external and c.type not in EMITTED)
    assert not stale, f"contracts nobody emits: {stale}"


@pytest.mark.parametrize("service", PRODUCERS)
def test_what_a_service_declares_it_publishes_has_a_contract(service: str) -> None:
    module = importlib.import_module(f"services.{service}.events")
    declared = set(getattr(module, "PUBLISHES", ()))
    assert not sorted(t for t in declared if contract_for(t) is None)
    assert all(contract_for(t).producer == service for t in declared)  # type: ignore[union-attr]


def test_contracts_are_consistent() -> None:
    types = [c.type for c in CONTRACTS]
    assert len(types) == len(set(types))
    for c in CONTRACTS:
        if c.external:
            assert c.subject == f"{c.producer}.{{tenant}}.{c.aggregate}.{c.event}"
            assert c.type.startswith(f"{c.producer}.") and c.type.endswith(f".v{c.version}")
        else:
            assert c.type == f"govproj.{c.producer}.{c.aggregate}.{c.event}.v{c.version}"
            assert c.subject == f"govproj.{{tenant}}.{c.producer}.{c.aggregate}.{c.event}"
            assert c.producer in PRODUCERS
        assert c.matches_subject(c.subject_for("445322"))
        assert not c.matches_subject(c.subject_for("445322") + ".x")
        schema = c.json_schema()
        assert schema["type"] == "object" and schema["properties"], c.type
        assert c.title and c.summary


def _answer(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant": "445322",
        "review_id": "0195f6d2-8a8e-7c1e-9d3c-5a0d0c6f8a11",
        "project_id": "0195f6d2-8a8e-7c1e-9d3c-5a0d0c6f8a12",
        "submission": 1,
        "step_id": "0195f6d2-8a8e-7c1e-9d3c-5a0d0c6f8a13",
        "outcome": "approve",
        "approved_amount": 1_200_000,
        "opinion": "经审核，同意安排资金。",
        "funding_by_year": [{"year": 2027, "amount": 1_200_000}],
        "answered_by": "财政局",
        "answered_on": "2026-12-04",
    }
    return {**body, **changes}


ANSWERED = "finance.budget.review.answered.v1"


def test_a_finance_answer_as_the_simulator_sends_it_holds() -> None:
    contract = contract_for(ANSWERED)
    assert contract is not None and contract.producer == "finance"
    assert contract.validate(_answer()) is None


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"approved_amount": "1200000"}, "approved_amount"),  # a string is not an amount
        ({"approved_amount": -1}, "approved_amount"),
        ({"answered_on": 20261204}, "answered_on"),  # a number is not a date
        ({"answered_on": "2026-13-01"}, "answered_on"),
        ({"outcome": "maybe"}, "outcome"),
        ({"review_id": "not-a-uuid"}, "review_id"),
        ({"tenant": "44532"}, "tenant"),
        ({"remark": "x"}, "remark"),  # answers are closed
        ({"funding_by_year": [{"year": 2027, "amount": 1, "x": 1}]}, "funding_by_year/0/x"),
    ],
)
def test_an_answer_that_breaks_its_contract_is_refused_with_where(
    change: dict[str, Any], where: str
) -> None:
    contract = contract_for(ANSWERED)
    assert contract is not None
    reason = contract.validate(_answer(**change))
    assert reason is not None and reason.startswith(where), reason


def test_an_answer_missing_a_required_member_is_refused() -> None:
    contract = contract_for(ANSWERED)
    assert contract is not None
    body = _answer()
    del body["opinion"]
    assert (contract.validate(body) or "").startswith("opinion: Field required")


def test_platform_payloads_admit_new_members_but_not_wrong_types() -> None:
    contract = contract_for("govproj.registry.unit.created.v1")
    assert contract is not None
    unit = {"tenant": "445322", "id": "0195f6d2-8a8e-7c1e-9d3c-5a0d0c6f8a11", "name": "教育局"}
    assert contract.validate({**unit, "credit_code": None, "added_later": 1}) is None
    assert contract.validate({**unit, "name": 3}) is not None
    assert contract.validate({k: v for k, v in unit.items() if k != "tenant"}) is not None


def test_validation_reads_what_travels() -> None:
    """The contract checks the JSON text, so validating data and bytes agree."""
    contract = contract_for(ANSWERED)
    assert contract is not None
    raw = json.dumps(_answer(approved_amount=1.5), ensure_ascii=False).encode()
    assert contract.validate_json(raw) == contract.validate(_answer(approved_amount=1.5))
    assert contract.validate_json(raw) is not None
