"""Procurement and contracts in the budget service move an approved project into construction."""

from __future__ import annotations

import uuid

import httpx

from libs.common.testing.platform import RunningPlatform
from tests.support.budget import (
    XIANGQIAO,
    YEAR,
    YUNAN,
    archive_document,
    create_project,
    known_to_budget,
    new_unit,
    planned_items,
    problem,
    self_managed_project,
    submit,
    until_replicated,
    wait_state,
)


def test_procurement_then_contract_moves_the_registry_project_to_implementing(
    platform: RunningPlatform, registry: httpx.Client, budget: httpx.Client
) -> None:
    pid, unit_id = self_managed_project(platform, registry, budget)
    # ADR 0008: the unit officer acts for the unit in its token, which is the project's.
    unit = platform.headers(YUNAN, "unit_officer", unit=unit_id)
    r = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers={**unit, "Idempotency-Key": f"proc-{pid}"},
        json={"method": "inquiry", "started_on": f"{YEAR}-03-01"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["method"] == "inquiry" and r.json()["submission"] == 1
    # The same key replays; a second start is a conflict.
    again = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers={**unit, "Idempotency-Key": f"proc-{pid}"},
        json={"method": "inquiry", "started_on": f"{YEAR}-03-01"},
    )
    assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
    second = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers=unit,
        json={"method": "inquiry", "started_on": f"{YEAR}-03-02"},
    )
    assert (
        second.status_code == 409 and problem(second)["title"] == "项目未立项或备案，不能启动采购"
    )
    wait_state(platform, registry, YUNAN, pid, "procuring")

    body = {"supplier": "云浮某科技有限公司", "amount": 48_000, "signed_on": f"{YEAR}-04-01"}
    # Issue 16 item 9: a made-up document id is refused; the contract must be in the archive.
    made_up = budget.post(
        f"/v1/projects/{pid}/contracts",
        headers=unit,
        json={**body, "document_id": str(uuid.uuid4())},
    )
    assert made_up.status_code == 422 and problem(made_up)["field"] == "document_id"
    doc = archive_document(platform, YUNAN, pid, "contract")
    c = until_replicated(
        lambda: budget.post(
            f"/v1/projects/{pid}/contracts", headers=unit, json={**body, "document_id": doc}
        ),
        "document_id",
    )
    assert c.status_code == 201, c.text
    assert c.json()["amount"] == 48_000 and c.json()["document_id"] == doc
    project = wait_state(platform, registry, YUNAN, pid, "implementing")
    history = registry.get(f"/v1/projects/{pid}/history", headers=unit).json()
    assert history[-1]["trigger"] == "govproj.budget.project.contracted.v1"
    assert history[-1]["actor"]["type"] == "user"
    assert project["state"] == "implementing"
    listed = budget.get(f"/v1/projects/{pid}/contracts", headers=unit).json()
    assert [x["amount"] for x in listed] == [48_000]


def test_project_under_review_cannot_start_procurement(
    platform: RunningPlatform, registry: httpx.Client, budget: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    (item,) = planned_items(platform, registry, YUNAN, unit, 1)
    pid = create_project(platform, registry, YUNAN, unit, demand_item_id=item)
    submit(platform, registry, YUNAN, pid)
    known_to_budget(platform, budget, YUNAN, pid, "under_review")
    headers = platform.headers(YUNAN, "unit_officer", unit=unit)
    r = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers=headers,
        json={"method": "public_tender", "started_on": f"{YEAR}-03-01"},
    )
    assert r.status_code == 409
    body = problem(r)
    assert body["title"] == "项目未立项或备案，不能启动采购" and "under_review" in body["detail"]
    c = budget.post(
        f"/v1/projects/{pid}/contracts",
        headers=headers,
        json={
            "supplier": "某公司",
            "amount": 1,
            "signed_on": f"{YEAR}-04-01",
            "document_id": str(uuid.uuid4()),
        },
    )
    assert c.status_code == 409 and problem(c)["title"] == "项目尚未启动采购，不能登记合同"
    assert budget.get(f"/v1/projects/{pid}/contracts", headers=headers).json() == []
    assert registry.get(f"/v1/projects/{pid}", headers=headers).json()["state"] == "under_review"


def test_bad_input_foreign_tenant_and_roles_change_nothing(
    platform: RunningPlatform, registry: httpx.Client, budget: httpx.Client
) -> None:
    pid, unit_id = self_managed_project(platform, registry, budget)
    unit = platform.headers(YUNAN, "unit_officer", unit=unit_id)
    ok = {"method": "inquiry", "started_on": f"{YEAR}-03-01"}
    # Another county sees nothing (404, never 403); an expert may not start procurement.
    foreign = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers=platform.headers(XIANGQIAO, "unit_officer", unit=str(uuid.uuid4())),
        json=ok,
    )
    assert foreign.status_code == 404
    # ADR 0008: a unit officer's token without a unit claim acts for no unit (it was every unit).
    unclaimed = budget.post(
        f"/v1/projects/{pid}/procurement", headers=platform.headers(YUNAN, "unit_officer"), json=ok
    )
    assert unclaimed.status_code == 403 and problem(unclaimed)["code"] == "unit_claim_missing"
    assert (
        budget.post(
            f"/v1/projects/{pid}/procurement", headers=platform.headers(YUNAN, "expert"), json=ok
        ).status_code
        == 403
    )
    bad = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers=unit,
        json={"method": "lottery", "started_on": "2027-01-01"},
    )
    assert bad.status_code == 422 and problem(bad)["field"] == "method"
    assert budget.get(f"/v1/projects/{pid}/procurement", headers=unit).status_code == 404
    assert budget.post(f"/v1/projects/{pid}/procurement", headers=unit, json=ok).status_code == 201
    for amount in (1.5, "100", -1, 0):
        c = budget.post(
            f"/v1/projects/{pid}/contracts",
            headers=unit,
            json={
                "supplier": "某公司",
                "amount": amount,
                "signed_on": f"{YEAR}-04-01",
                "document_id": str(uuid.uuid4()),
            },
        )
        assert c.status_code == 422 and problem(c)["field"] == "amount", (amount, c.text)
    assert budget.get(f"/v1/projects/{pid}/contracts", headers=unit).json() == []
    assert budget.get(f"/v1/projects/{uuid.uuid4()}/budget", headers=unit).status_code == 404


def test_a_unit_officer_acts_only_on_their_own_units_projects(
    platform: RunningPlatform, registry: httpx.Client, budget: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    pid = create_project(platform, registry, YUNAN, unit, amount=40_000)
    submit(platform, registry, YUNAN, pid)
    known_to_budget(platform, budget, YUNAN, pid, "approved")
    body = {"method": "inquiry", "started_on": f"{YEAR}-03-01"}
    other = platform.headers(YUNAN, "unit_officer", unit=str(uuid.uuid4()))
    r = budget.post(f"/v1/projects/{pid}/procurement", headers=other, json=body)
    # 郁府办〔2024〕21号 第三条第（二）项: the 项目管理专员 answers for their own unit.
    assert r.status_code == 403 and problem(r)["field"] == "unit_id"
    assert budget.get(f"/v1/projects/{pid}/procurement", headers=other).status_code == 404
    mine = platform.headers(YUNAN, "unit_officer", unit=unit)
    assert (
        budget.post(f"/v1/projects/{pid}/procurement", headers=mine, json=body).status_code == 201
    )


def test_the_city_oversees_a_county_budget_but_does_not_change_it(
    platform: RunningPlatform, registry: httpx.Client, budget: httpx.Client
) -> None:
    pid, _ = self_managed_project(platform, registry, budget)
    city = platform.headers("445300", "overseer")  # 云浮市 oversees 郁南县
    seen = budget.get(f"/v1/projects/{pid}/budget", headers=city)
    assert seen.status_code == 200 and seen.json()["tenant"] == YUNAN
    r = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers=platform.headers("445300", "overseer", "bureau_officer"),
        json={"method": "inquiry", "started_on": f"{YEAR}-03-01"},
    )
    assert r.status_code == 403 and problem(r)["title"] == "无权执行此操作"
    # A county under another city sees nothing at all.
    assert (
        budget.get(
            f"/v1/projects/{pid}/budget", headers=platform.headers(XIANGQIAO, "overseer")
        ).status_code
        == 404
    )
    unit = platform.headers(YUNAN, "unit_officer")
    assert budget.get(f"/v1/projects/{pid}/procurement", headers=unit).status_code == 404
