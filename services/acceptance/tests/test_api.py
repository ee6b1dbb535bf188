"""The HTTP API on one app (httpx.ASGITransport): shapes, Idempotency-Key, who may do what."""

from __future__ import annotations

import uuid
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from services.acceptance.app import create_app
from services.acceptance.event_schemas import SCHEMAS, schema_for
from services.acceptance.events import PUBLISHES
from services.acceptance.tests.support.api import Callers, client_for
from services.acceptance.tests.support.feed import (
    LAIZHOU,
    document,
    laizhou_project,
    outbox_types,
    subject,
)
from services.acceptance.tests.support.projects import accepted_project

YANTAI, YUNAN = "370600", "445322"
COMPLETION = {"completed_on": "2024-03-04"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_every_route_declares_a_typed_response_and_every_post_the_idempotency_key() -> None:
    spec = create_app().openapi()
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in operations.items():
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            if "application/pdf" in ok["content"]:
                continue  # a document to download (issue 18), not a JSON body
            schema = ok["content"]["application/json"]["schema"]
            assert "$ref" in schema or "$ref" in schema.get("items", {}), (method, path)
            headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
            assert (method == "post") <= ("Idempotency-Key" in headers), (method, path)


async def test_a_retried_completion_replays_the_first_answer_and_runs_once(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db)
    callers = Callers()
    unit = callers.headers(subject(), **{"Idempotency-Key": "complete-1"})
    async with client_for(db, callers) as client:
        first = await client.post(f"/v1/projects/{pid}/completion", headers=unit, json=COMPLETION)
        again = await client.post(f"/v1/projects/{pid}/completion", headers=unit, json=COMPLETION)
        other = await client.post(
            f"/v1/projects/{pid}/completion", headers=unit, json={"completed_on": "2024-03-05"}
        )
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["state"] == "completed"
    assert (await outbox_types(db, pid)).count("govproj.acceptance.project.completed.v1") == 1
    assert _problem(other, 422)["code"] == "idempotency_key_reused"


async def test_another_jurisdictions_project_is_not_found_and_an_overseen_one_read_only(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db)
    callers = Callers()
    sibling = callers.headers(subject("bureau_officer", tenant=YUNAN))
    city = subject("bureau_officer", tenant=YANTAI, visible=frozenset({LAIZHOU}))
    city_bureau = callers.headers(
        AuthSubject(
            user="c",
            name="烟台",
            tenant=YANTAI,
            roles=frozenset({"bureau_officer", "overseer"}),
            visible_tenants=city.visible_tenants,
        )
    )
    url = f"/v1/projects/{pid}"
    async with client_for(db, callers) as client:
        assert _problem(await client.get(f"{url}/acceptance", headers=sibling), 404)
        problem = _problem(
            await client.post(f"{url}/completion", headers=sibling, json=COMPLETION), 404
        )
        assert "项目" in problem["detail"]
        seen = await client.get(f"{url}/acceptance", headers=city_bureau)
        assert seen.status_code == 200 and seen.json()["tenant_id"] == LAIZHOU
        refused = await client.post(f"{url}/completion", headers=city_bureau, json=COMPLETION)
        assert _problem(refused, 403)["code"] == "read_only_tenant"
    assert "govproj.acceptance.project.completed.v1" not in await outbox_types(db, pid)


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        (subject(unit="u2"), "other_unit"),  # another unit of the same county
        (subject(unit=None), "unit_claim_missing"),  # a missing claim denies
        (subject("finance_officer"), "forbidden"),  # not a role of 申请验收
        (subject("overseer"), "forbidden"),
    ],
)
async def test_a_unit_acts_only_for_itself_and_other_roles_not_at_all(
    db: AsyncSession, caller: AuthSubject, code: str
) -> None:
    pid = await laizhou_project(db)
    callers = Callers()
    async with client_for(db, callers) as client:
        refused = await client.post(
            f"/v1/projects/{pid}/completion", headers=callers.headers(caller), json=COMPLETION
        )
        problem = _problem(refused, 403)
        assert problem["code"] == code and problem["title"] == "无权执行此操作"
        own = await client.post(
            f"/v1/projects/{pid}/completion", headers=callers.headers(subject()), json=COMPLETION
        )
    assert own.status_code == 200, own.text


@pytest.mark.parametrize(
    ("steer", "field"),
    [
        ({"seed": "chosen-seed-0001"}, "seed"),
        ({"project_ids": ["00000000-0000-0000-0000-000000000001"]}, "project_ids"),
        ({"project_pool": ["00000000-0000-0000-0000-000000000001"]}, "project_pool"),
    ],
)
async def test_a_caller_cannot_steer_a_draw_with_its_own_seed_or_pool(
    db: AsyncSession, steer: dict[str, Any], field: str
) -> None:
    await accepted_project(db)
    callers = Callers()
    bureau = callers.headers(subject("bureau_officer"))
    async with client_for(db, callers) as client:
        steered = await client.post(
            "/v1/draws", headers=bureau, json={"year": 2025, "count": 1, **steer}
        )
        listed = await client.get("/v1/draws", headers=bureau)
    problem = _problem(steered, 422)
    assert problem["field"] == field
    assert listed.json() == []  # nothing was committed


async def test_the_draw_over_http_commits_then_draws_then_verifies(db: AsyncSession) -> None:
    pid = await accepted_project(db)
    callers = Callers()
    bureau = callers.headers(subject("bureau_officer"))
    body = {"year": 2025, "count": 1, "evaluator_pool": ["孙专家", "李专家"], "evaluator_count": 1}
    async with client_for(db, callers) as client:
        register = (await client.get("/v1/draw-register", headers=bureau)).json()
        assert [(r["project_id"], r["article"]) for r in register] == [(str(pid), "第三十四条")]
        # ADR 0008: 双随机抽取 is the bureau's (finance acts on its own review steps only).
        finance = callers.headers(subject("finance_officer"))
        assert _problem(await client.post("/v1/draws", headers=finance, json=body), 403)
        committed = await client.post("/v1/draws", headers=bureau, json=body)
        assert committed.status_code == 201, committed.text
        draw = committed.json()
        assert draw["status"] == "committed" and draw["seed"] is None
        assert draw["project_pool"] == [] and len(draw["commitment"]) == 64
        second = await client.post("/v1/draws", headers=bureau, json=body)
        assert _problem(second, 409)["code"] == "draw_exists"
        early = await client.get(f"/v1/draws/{draw['draw_id']}/verification", headers=bureau)
        assert _problem(early, 409)["code"] == "draw_not_made"
        (pending,) = (await client.get("/v1/draws", headers=bureau)).json()
        assert pending["verification"] is None and pending["project_names"] == {}
        made = await client.post(f"/v1/draws/{draw['draw_id']}/execution", headers=bureau)
        assert made.status_code == 200, made.text
        drawn = made.json()
        assert (
            drawn["projects"] == [str(pid)] and drawn["seed"] and drawn["article"] == "第三十四条"
        )
        check = await client.get(f"/v1/draws/{draw['draw_id']}/verification", headers=bureau)
        assert check.json() | {"projects": None, "evaluators": None} == {
            "draw_id": draw["draw_id"],
            "commitment_matches": True,
            "reproduced": True,
            "within_pool": True,
            "projects": None,
            "evaluators": None,
        }
        # The list carries the picked projects' names and the same re-check: one call a page.
        (listed,) = (await client.get("/v1/draws", headers=bureau)).json()
        assert listed["project_names"] == {str(pid): register[0]["name"]} and register[0]["name"]
        assert listed["verification"] == check.json()
        sibling = callers.headers(subject("bureau_officer", tenant=YUNAN))
        assert _problem(await client.get(f"/v1/draws/{draw['draw_id']}", headers=sibling), 404)


async def test_every_event_of_a_whole_acceptance_matches_its_published_schema(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db, amount=800_000)
    docs = {
        t: await document(db, pid, t)
        for t in ("acceptance_report", "security_assessment_report", "other", "evaluation_report")
    }
    callers = Callers()
    unit, bureau = callers.headers(subject()), callers.headers(subject("bureau_officer"))
    url = f"/v1/projects/{pid}"
    opinion = {"name": "赵专家", "opinion": "同意", "conclusion": "pass"}
    steps: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
        ("post", f"{url}/completion", COMPLETION, unit),
        (
            "post",
            f"{url}/deadlines/acceptance_due/extensions",
            {"until": "2025-03-01", "reason": "测评排期"},
            unit,
        ),
        ("post", f"{url}/review", {}, unit),
        (
            "put",
            f"{url}/review/items/security_assessment",
            {"evidence_document_ids": [str(docs["security_assessment_report"])]},
            unit,
        ),
        (
            "put",
            f"{url}/review/items/data_resource_catalog",
            {"evidence_document_ids": [str(docs["other"])]},
            unit,
        ),
        ("post", f"{url}/review/decision", {"outcome": "pass", "opinion": "齐备"}, unit),
        (
            "post",
            f"{url}/acceptance",
            {
                "outcome": "passed",
                "held_on": "2024-06-01",
                "conclusion": "通过",
                "report_document_id": str(docs["acceptance_report"]),
                "expert_opinions": [opinion],
            },
            unit,
        ),
        ("post", f"{url}/operation", {"in_operation_on": "2024-07-01"}, unit),
        (
            "post",
            f"{url}/evaluations",
            {
                "kind": "self_evaluation",
                "report_document_id": str(docs["evaluation_report"]),
                "submitted_on": "2025-06-01",
                "summary": "运行良好",
            },
            unit,
        ),
        ("post", "/v1/deadlines/sweep", {}, bureau),
        ("post", "/v1/draws", {"year": 2025, "count": 1}, bureau),
    ]
    async with client_for(db, callers) as client:
        for method, path, body, headers in steps:
            answer = await client.request(method, path, headers=headers, json=body)
            assert answer.status_code in (200, 201), (path, answer.text)
        (draw,) = (await client.get("/v1/draws", headers=bureau)).json()
        made = await client.post(f"/v1/draws/{draw['draw_id']}/execution", headers=bureau)
        assert made.status_code == 200, made.text
        record = (await client.get(f"{url}/acceptance", headers=unit)).json()
    assert record["state"] == "evaluated"
    assert {".".join(t.split(".")[2:4]) for t in PUBLISHES} == set(SCHEMAS)
    rows = (await db.execute(sa.text("SELECT type, payload, headers FROM acceptance.outbox"))).all()
    checker = jsonschema.FormatChecker()
    seen = set()
    for event_type, payload, headers in rows:
        assert event_type in PUBLISHES, event_type
        jsonschema.validate(payload, schema_for(event_type), format_checker=checker)
        assert headers.get("ce-actor"), event_type  # every event names its actor
        seen.add(event_type)
    assert len(seen) >= 12, seen
    assert uuid.UUID(record["project_id"]) == pid
