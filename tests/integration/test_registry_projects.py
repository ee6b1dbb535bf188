"""Projects in the registry as their callers see them: tenancy, bad input, versions, lifecycle."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from libs.common.testing.platform import RunningPlatform
from tests.support.registry import (
    CHAOAN,
    CHAOZHOU,
    PLAN_YEAR,
    SOFTWARE,
    XIANGQIAO,
    YUNAN,
    create_project,
    new_unit,
    officer,
    planned_items,
    problem,
    project_body,
    wait_state,
)


def test_tenant_matrix_on_every_project_endpoint(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, XIANGQIAO)
    project = create_project(platform, registry, XIANGQIAO, unit)
    pid, path = project["id"], f"/v1/projects/{project['id']}"
    own = platform.headers(XIANGQIAO, "unit_officer")
    sibling = platform.headers(CHAOAN, "unit_officer", "bureau_officer", "overseer")
    city = platform.headers(CHAOZHOU, "overseer", "bureau_officer", "unit_officer")
    reads = [path, f"{path}/history"]
    for url in reads:
        assert registry.get(url, headers=own).status_code == 200, url
        assert registry.get(url, headers=sibling).status_code == 404, url
        assert registry.get(url, headers=city).status_code == 200, url
        assert registry.get(url).status_code == 401, url
    listed = registry.get("/v1/projects", headers=city, params={"tenant": XIANGQIAO}).json()
    assert pid in {p["id"] for p in listed["items"]}
    assert pid not in {
        p["id"] for p in registry.get("/v1/projects", headers=sibling).json()["items"]
    }
    writes: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
        ("PATCH", path, {"name": "改名"}, {"If-Match": '"1"'}),
        ("POST", f"{path}/submit", {}, {}),
        ("POST", f"{path}/terminate", {"reason": "测试"}, {}),
    ]
    for method, url, body, extra in writes:
        assert (
            registry.request(method, url, json=body, headers={**sibling, **extra}).status_code
            == 404
        )
        # The city oversees (reads) its county, it never writes there.
        assert (
            registry.request(method, url, json=body, headers={**city, **extra}).status_code == 403
        )
        assert registry.request(method, url, json=body, headers=extra).status_code == 401
    overseer_only = platform.headers(CHAOZHOU, "overseer")
    assert (
        registry.post("/v1/projects", headers=overseer_only, json=project_body(unit)).status_code
        == 403
    )
    assert registry.post("/v1/projects", json=project_body(unit)).status_code == 401
    after = registry.get(path, headers=own).json()
    assert (after["state"], after["version"], after["name"]) == ("draft", 1, project["name"])


BAD_INPUTS: list[tuple[str, dict[str, Any]]] = [
    ("facts.amount", {"facts": {**SOFTWARE, "amount": "八十万"}}),
    ("facts.amount", {"facts": {**SOFTWARE, "amount": -1}}),
    (
        "facts.service_types[0]",
        {"facts": {**SOFTWARE, "service_types": ["spaceship"], "amount": 1}},
    ),
    ("facts.project_class", {"facts": {**SOFTWARE, "project_class": "secret", "amount": 1}}),
    ("facts.amount", {"facts": {**SOFTWARE, "amount": True}}),
    ("facts.colour", {"facts": {**SOFTWARE, "amount": 1, "colour": "red"}}),
    ("facts.in_annual_plan", {"facts": {**SOFTWARE, "amount": 1, "in_annual_plan": True}}),
    ("schedule.start", {"schedule": {"start": "1899-01-01"}}),
    ("schedule.end", {"schedule": {"end": "2027-02-30"}}),
    ("year", {"year": 3000}),
    ("name", {"name": "有\x00控制字符"}),
    ("unit_id", {"unit_id": "not-a-uuid"}),
]


def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    foreign_unit = new_unit(platform, registry, XIANGQIAO)
    # The bureau: a unit officer naming another unit is refused (403) before its input is judged.
    headers = platform.headers(YUNAN, "bureau_officer")
    before = registry.get("/v1/projects", headers=headers, params={"unit_id": unit}).json()
    cases = [*BAD_INPUTS, ("unit_id", {"unit_id": foreign_unit})]
    for field, override in cases:
        body = {**project_body(unit), **override}
        r = registry.post("/v1/projects", headers=headers, json=body)
        assert r.status_code == 422, (field, r.text)
        assert field in problem(r)["detail"] or problem(r).get("field") == field, (field, r.text)
    after = registry.get("/v1/projects", headers=headers, params={"unit_id": unit}).json()
    assert after == before == {"items": [], "next_cursor": None}


def test_stale_if_match_gets_412_and_the_newer_edit_stands(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    project = create_project(platform, registry, YUNAN, unit)
    path = f"/v1/projects/{project['id']}"
    headers = officer(platform, YUNAN, unit)
    first = registry.patch(
        path, headers={**headers, "If-Match": '"1"'}, json={"name": "第一次修改"}
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = registry.patch(
        path, headers={**headers, "If-Match": '"1"'}, json={"name": "过期的修改"}
    )
    assert stale.status_code == 412 and problem(stale)["code"] == "version_mismatch"
    missing = registry.patch(path, headers=headers, json={"name": "无版本"})
    assert missing.status_code == 428
    bad_facts = registry.patch(
        path, headers={**headers, "If-Match": '"2"'}, json={"facts": {**SOFTWARE, "amount": -5}}
    )
    assert bad_facts.status_code == 422 and problem(bad_facts)["field"] == "facts.amount"
    now = registry.get(path, headers=headers).json()
    assert (now["name"], now["version"], now["amount"]) == ("第一次修改", 2, 800_000)


def test_list_filters_search_and_cursor_pagination(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, CHAOAN)
    tag = uuid.uuid4().hex[:6]
    for i, amount in enumerate((10_000, 200_000, 3_000_000)):
        body = project_body(unit, amount=amount)
        body["name"] = f"潮安{tag}数字档案系统{i}"
        r = registry.post("/v1/projects", headers=officer(platform, CHAOAN, unit), json=body)
        assert r.status_code == 201
    headers = platform.headers(CHAOAN, "unit_officer")
    found = registry.get("/v1/projects", headers=headers, params={"q": f"{tag}数字档案"}).json()
    assert len(found["items"]) == 3
    ranged = registry.get(
        "/v1/projects",
        headers=headers,
        params={
            "unit_id": unit,
            "amount_min": 100_000,
            "amount_max": 3_000_000,
            "state": "draft",
            "year": PLAN_YEAR,
        },
    ).json()
    assert sorted(p["amount"] for p in ranged["items"]) == [200_000, 3_000_000]
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"unit_id": unit, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = registry.get("/v1/projects", headers=headers, params=params).json()
        pages.append([p["id"] for p in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [len(p) for p in pages] == [2, 1]
    assert len({pid for p in pages for pid in p}) == 3
    # Sorted by amount, largest first, one per page: the keyset follows the sort.
    amounts, cursor = [], None
    while True:
        params = {"unit_id": unit, "limit": 1, "sort": "-amount"}
        if cursor:
            params["cursor"] = cursor
        page = registry.get("/v1/projects", headers=headers, params=params).json()
        amounts += [p["amount"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert amounts == [3_000_000, 200_000, 10_000]
    by_name = registry.get(
        "/v1/projects", headers=headers, params={"unit_id": unit, "sort": "name"}
    ).json()
    assert [p["name"][-1] for p in by_name["items"]] == ["0", "1", "2"]
    first = registry.get(
        "/v1/projects", headers=headers, params={"unit_id": unit, "limit": 1, "sort": "name"}
    ).json()
    # A cursor is for the order it was made in; another order refuses it.
    other = {"unit_id": unit, "sort": "amount", "cursor": first["next_cursor"]}
    assert registry.get("/v1/projects", headers=headers, params=other).status_code == 422
    for params in (
        {"state": "flying"},
        {"route": "maybe"},
        {"cursor": "###"},
        {"amount_min": -1},
        {"sort": "secret_column"},
    ):
        assert registry.get("/v1/projects", headers=headers, params=params).status_code == 422, (
            params
        )


def test_idempotency_key_replays_the_first_response_and_creates_one_project(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    body = project_body(unit)
    headers = {
        **officer(platform, YUNAN, unit),
        "Idempotency-Key": uuid.uuid4().hex,
    }
    first = registry.post("/v1/projects", headers=headers, json=body)
    again = registry.post("/v1/projects", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    other = registry.post("/v1/projects", headers=headers, json={**body, "name": "另一个项目"})
    assert other.status_code == 422 and problem(other)["field"] == "Idempotency-Key"
    listed = registry.get(
        "/v1/projects", headers=platform.headers(YUNAN, "unit_officer"), params={"unit_id": unit}
    ).json()
    assert [p["id"] for p in listed["items"]] == [first.json()["id"]]
    # The same key in another tenant is another key.
    xq = new_unit(platform, registry, XIANGQIAO)
    elsewhere = registry.post(
        "/v1/projects",
        headers={
            **officer(platform, XIANGQIAO, xq),
            "Idempotency-Key": headers["Idempotency-Key"],
        },
        json=project_body(xq),
    )
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != first.json()["id"]


# The API actions and the states they may start from (services/registry/projects/lifecycle.py).
ACTIONS = {
    "submit": ("POST", "submit", {}),
    "terminate": ("POST", "terminate", {"reason": "不再需要"}),
    "edit": ("PATCH", "", {"description": "修改"}),
}
ALLOWED = {
    "submit": {"draft"},
    "terminate": {"under_review", "approved", "filed", "procuring", "implementing"},
    "edit": {"draft"},
}


def test_the_state_machine_refuses_every_illegal_action_and_changes_nothing(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    """Table-driven over the states a project reaches on the running platform."""
    unit = new_unit(platform, registry, YUNAN)
    headers = platform.headers(YUNAN, "unit_officer", "bureau_officer")
    items = planned_items(platform, registry, YUNAN, unit, PLAN_YEAR, 2)
    subjects: dict[str, str] = {}
    subjects["draft"] = create_project(platform, registry, YUNAN, unit)["id"]
    for state, amount, item in (("under_review", 800_000, items[0]), ("approved", 50_000, None)):
        pid = create_project(platform, registry, YUNAN, unit, amount=amount, demand_item_id=item)[
            "id"
        ]
        assert registry.post(f"/v1/projects/{pid}/submit", headers=headers).status_code == 200
        subjects[state] = pid
    subjects["submitted"] = subjects["under_review"]  # refused while still submitted, too
    for state in ("under_review", "approved"):
        wait_state(platform, registry, YUNAN, subjects[state], state)
    terminated = create_project(platform, registry, YUNAN, unit, demand_item_id=items[1])["id"]
    registry.post(f"/v1/projects/{terminated}/submit", headers=headers)
    wait_state(platform, registry, YUNAN, terminated, "under_review")
    assert (
        registry.post(
            f"/v1/projects/{terminated}/terminate", headers=headers, json={"reason": "撤销"}
        ).status_code
        == 200
    )
    subjects["terminated"] = terminated
    del subjects["submitted"]
    for state, pid in subjects.items():
        for action, (method, suffix, body) in ACTIONS.items():
            if state in ALLOWED[action]:
                continue
            before = registry.get(f"/v1/projects/{pid}", headers=headers).json()
            url = f"/v1/projects/{pid}" + (f"/{suffix}" if suffix else "")
            extra = {"If-Match": f'"{before["version"]}"'} if method == "PATCH" else {}
            r = registry.request(method, url, headers={**headers, **extra}, json=body)
            assert r.status_code == 409, (state, action, r.text)
            assert problem(r)["code"] == "illegal_transition"
            after = registry.get(f"/v1/projects/{pid}", headers=headers).json()
            assert after == before, (state, action)
    history = registry.get(f"/v1/projects/{terminated}/history", headers=headers).json()
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "under_review"),
        ("under_review", "terminated"),
    ]
    assert history[-1]["reason"] == "撤销" and history[-1]["actor"]["tenant"] == YUNAN
    assert all(h["event_id"] for h in history)


def test_a_number_beyond_what_the_database_holds_is_422_not_500(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    # Found by the system fuzz: asyncpg refuses the parameter before PostgreSQL sees it.
    r = registry.get(
        "/v1/projects",
        headers=platform.headers(YUNAN, "bureau_officer"),
        params={"amount_min": 10**20},
    )
    assert r.status_code == 422, r.text
    assert problem(r)["title"] == "输入数据不合法"
