"""Facts validation names the field at fault, and normalises what it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from libs.policy import FactsError, Pack, validate_facts

from .conftest import project


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        (project(amout=1), "amout"),
        (project(amount=600000.0), "amount"),
        (project(amount="600000"), "amount"),
        (project(amount=True), "amount"),
        (project(amount=-1), "amount"),
        (project(software_amount=1.5), "software_amount"),
        (project(software_amount=700_000), "software_amount"),
        (project(project_class="private"), "project_class"),
        (project(category="other"), "category"),
        (project(service_types=[]), "service_types"),
        (project(service_types="software_development"), "service_types"),
        (project(service_types=["software_development", "cloud"]), "service_types[1]"),
        (project(funding=None), "funding"),
        (project(classified="yes"), "classified"),
        (project(in_annual_plan=1), "in_annual_plan"),
        (project(excluded_kind="furniture"), "excluded_kind"),
        (project(submitted_on="2025-02-30"), "submitted_on"),
        (project(submitted_on="2025/03/01"), "submitted_on"),
        (project(submitted_on=20250301), "submitted_on"),
        (project(systems="sys-1"), "systems"),
        (project(systems=[{"relation": "build"}]), "systems[0].id"),
        (project(systems=[{"id": "a", "relation": "destroy"}]), "systems[0].relation"),
        (project(systems=[{"id": "a", "shares_data": "no"}]), "systems[0].shares_data"),
        (project(systems=[{"id": "a", "colour": "red"}]), "systems[0].colour"),
        (project(systems=["a", "a"]), "systems[1].id"),
        (project(systems=[3]), "systems[0]"),
        (project(civil_works="no"), "civil_works"),
        ({"service_types": ["software_development"], "amount": 1}, "project_class"),
        ({"project_class": "public", "amount": 1}, "service_types"),
        ({"project_class": "public", "service_types": ["third_party"]}, "amount"),
    ],
)
def test_invalid_facts_name_their_field(yunan: Pack, facts: dict[str, Any], field: str) -> None:
    with pytest.raises(FactsError) as info:
        validate_facts(yunan, facts)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_not_an_object_is_refused(yunan: Pack) -> None:
    with pytest.raises(FactsError) as info:
        validate_facts(yunan, [1, 2])  # type: ignore[arg-type]
    assert info.value.field == "body"


def test_defaults_are_the_ordinary_case(yunan: Pack) -> None:
    f = validate_facts(yunan, project())
    assert f["software_amount"] == 0
    assert f["funding"] == "fiscal"
    assert f["in_annual_plan"] is True
    assert f["classified"] is False and f["mandated"] is False
    assert f["category"] is None and f["excluded_kind"] is None
    assert f["systems"] == [] and f.submitted_on is None
    assert f["civil_works"] is False  # the pack's own fact, with its default


def test_systems_by_id_or_inline_get_catalog_defaults(yunan: Pack) -> None:
    f = validate_facts(
        yunan,
        project(systems=["sys-1", {"id": "sys-2", "relation": "upgrade", "shares_data": False}]),
    )
    first, second = f["systems"]
    assert first == {
        "id": "sys-1",
        "relation": "build",
        "in_catalog": True,
        "reported": True,
        "shares_data": True,
        "duplicate_collection": False,
        "crypto_compliant": True,
        "security_compliant": True,
        "secure_reliable": True,
    }
    assert second["relation"] == "upgrade" and second["shares_data"] is False


def test_service_types_are_deduplicated_and_dates_parsed(yunan: Pack) -> None:
    f = validate_facts(
        yunan,
        project(service_types=["third_party", "third_party"], submitted_on="2025-03-01"),
    )
    assert f["service_types"] == ["third_party"]
    assert f.submitted_on is not None and f.submitted_on.isoformat() == "2025-03-01"
    assert f["submitted_on"] == "2025-03-01"


def test_zero_and_equal_amounts_are_valid(yunan: Pack) -> None:
    f = validate_facts(yunan, project(amount=0, software_amount=0))
    assert f["amount"] == 0
    f = validate_facts(yunan, project(amount=5, software_amount=5))
    assert f["software_amount"] == 5
