"""The policy engine over HTTP (approval service): the same decision as the CLI, errors that name the field."""

from __future__ import annotations

import json
import subprocess
import sys

from libs.common.testing.platform import RunningPlatform

FACTS = {
    "project_class": "professional",
    "service_types": ["software_development"],
    "amount": 800000,
    "submitted_on": "2025-03-01",
}


def _evaluate(platform: RunningPlatform, caller: str, facts: dict, **body: object):  # type: ignore[no-untyped-def, type-arg]
    with platform.client("approval") as approval:
        return approval.post(
            "/v1/policy/evaluate",
            headers=platform.headers(caller, "unit_officer"),
            json={"facts": facts, **body},
        )


def test_the_same_project_is_filed_in_chaozhou_and_approved_in_yunan(
    platform: RunningPlatform,
) -> None:
    # seeds/README.md: 800,000 software development is 备案 in Chaozhou (第十二条, ≤ 1,000,000)
    # and 立项 in Yunan (第十条, ≥ 500,000).
    chaozhou = _evaluate(platform, "445100", FACTS)
    yunan = _evaluate(platform, "445322", FACTS)
    assert chaozhou.status_code == yunan.status_code == 200
    assert chaozhou.json()["route"]["code"] == "filing"
    assert chaozhou.json()["route"]["article"].startswith("第十二条")
    assert yunan.json()["route"]["code"] == "approval"
    assert yunan.json()["route"]["article"] == "第十条"
    assert "80万元" in yunan.json()["route"]["explanation"]
    assert yunan.json()["policy"]["document"] == "郁府办〔2024〕21号"


def test_http_and_cli_give_the_identical_decision(platform: RunningPlatform) -> None:
    over_http = _evaluate(platform, "445322", FACTS).json()
    cli = subprocess.run(
        [sys.executable, "-m", "govproj.cli", "policy", "evaluate", "--tenant", "445322", "-"],
        input=json.dumps(FACTS),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(cli.stdout) == over_http


def test_invalid_facts_get_422_naming_the_field(platform: RunningPlatform) -> None:
    for field, bad in (
        ("amount", -1),
        ("amount", "八十万"),
        ("service_types", ["spaceship"]),
        ("project_class", "secret"),
    ):
        r = _evaluate(platform, "445322", {**FACTS, field: bad})
        assert r.status_code == 422, (field, bad)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"].split(".")[0].split("[")[0] == field, r.json()


def test_no_policy_in_force_on_the_submission_date(platform: RunningPlatform) -> None:
    # Laizhou's measures were in force 2022-09-29 to 2024-09-28 (第四十二条).
    r = _evaluate(
        platform, "370683", {**FACTS, "category": "governance", "submitted_on": "2024-09-29"}
    )
    assert r.status_code == 422
    body = r.json()
    assert (
        body["code"] == "no_policy_in_force"
        and body["tenant"] == "370683"
        and body["date"] == "2024-09-29"
    )
    inside = _evaluate(
        platform, "370683", {**FACTS, "category": "governance", "submitted_on": "2024-09-28"}
    )
    assert inside.status_code == 200


def test_potou_draft_is_provisional(platform: RunningPlatform) -> None:
    r = _evaluate(platform, "440804", FACTS)
    assert r.status_code == 200
    assert r.json()["provisional"] is True and r.json()["policy"]["status"] == "draft"


def test_a_county_cannot_evaluate_or_read_a_sibling_countys_policy(
    platform: RunningPlatform,
) -> None:
    assert _evaluate(platform, "445102", FACTS, tenant="445103").status_code == 404
    with platform.client("approval") as approval:
        county = approval.get(
            "/v1/policies", headers=platform.headers("445102", "unit_officer")
        ).json()
        assert {p["tenant"] for p in county} == {"445102"}
        sibling_pack = approval.get(
            "/v1/policies", headers=platform.headers("445103", "unit_officer")
        ).json()[0]
        r = approval.get(
            f"/v1/policies/{sibling_pack['id']}", headers=platform.headers("445102", "unit_officer")
        )
        assert r.status_code == 404
        city = approval.get("/v1/policies", headers=platform.headers("445100", "overseer")).json()
        assert {"445100", "445102", "445103", "445122"} <= {p["tenant"] for p in city}
        full = approval.get(
            f"/v1/policies/{county[0]['id']}", headers=platform.headers("445102", "unit_officer")
        )
        assert full.status_code == 200 and full.json()["extends"] is not None
    # The city's overseer may compute a decision for its county; the county's officer not for the city.
    with platform.client("approval") as approval:
        r = approval.post(
            "/v1/policy/evaluate",
            headers=platform.headers("445100", "overseer"),
            json={"facts": FACTS, "tenant": "445102"},
        )
        assert r.status_code == 200 and r.json()["tenant"] == "445102"
    assert _evaluate(platform, "445102", FACTS, tenant="445100").status_code == 404
