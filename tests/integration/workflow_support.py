"""Driving a project through the approval workflow on the running platform (shared by tests).

Plain functions over the platform's HTTP APIs: plan and create a project, submit it,
wait for its workflow, and act on its steps as the step's role would.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
import nats

from libs.common.testing.platform import RunningPlatform, eventually
from tests.support.registry import (
    PLAN_YEAR,
    create_project,
    new_unit,
    officer,
    planned_items,
)

# A consolidated plan takes no more items: each planned project gets a plan year of its
# own, far from the fixed years other modules consolidate (PLAN_YEAR + a few).
_years = itertools.count(PLAN_YEAR + 20)


def planned_project(
    platform: RunningPlatform,
    registry: httpx.Client,
    tenant: str,
    *,
    amount: int = 800_000,
    facts: dict[str, Any] | None = None,
) -> tuple[str, str]:
    unit = new_unit(platform, registry, tenant)
    year = next(_years)
    (item,) = planned_items(platform, registry, tenant, unit, year, 1)
    body: dict[str, Any] = {"year": year, "demand_item_id": item, "amount": amount}
    if facts is not None:
        body["facts"] = {**facts, "amount": amount, "software_amount": amount}
    pid = create_project(platform, registry, tenant, unit, **body)["id"]
    return unit, pid


def uncatalogued_operations(
    platform: RunningPlatform, registry: httpx.Client, tenant: str
) -> tuple[str, str]:
    """A new unit's 运维 project for the 渔政执法系统, a system missing from ``tenant``'s
    catalog (坡头 第八条第（一）项 makes it ineligible): the unit and the project's id."""
    unit = new_unit(platform, registry, tenant)
    year = next(_years)
    (item,) = planned_items(platform, registry, tenant, unit, year, 1)
    facts = {
        "project_class": "professional",
        "service_types": ["operations_maintenance"],
        "amount": 300_000,
    }
    pid = create_project(
        platform,
        registry,
        tenant,
        unit,
        year=year,
        demand_item_id=item,
        facts=facts,
        uncatalogued_systems=[{"name": "渔政执法系统", "relation": "operate"}],
    )["id"]
    return unit, pid


def submit(
    platform: RunningPlatform, registry: httpx.Client, tenant: str, pid: str, **body: Any
) -> None:
    # The unit's own officer submits: the token names the project's unit (ADR 0008).
    project = registry.get(
        f"/v1/projects/{pid}", headers=platform.headers(tenant, "bureau_officer")
    )
    assert project.status_code == 200, project.text
    r = registry.post(
        f"/v1/projects/{pid}/submit",
        headers=officer(platform, tenant, project.json()["unit_id"]),
        json=body or None,
    )
    assert r.status_code == 200, r.text


def workflow_of(
    platform: RunningPlatform, approval: httpx.Client, tenant: str, pid: str
) -> dict[str, Any]:
    headers = platform.headers(tenant, "bureau_officer")
    seen: dict[str, Any] = {}

    def opened() -> bool:
        r = approval.get(f"/v1/projects/{pid}/workflow", headers=headers)
        if r.status_code == 200:
            seen.update(r.json())
        return r.status_code == 200

    eventually(opened, timeout=20)
    return seen


def open_step(wf: dict[str, Any]) -> dict[str, Any]:
    opened: list[dict[str, Any]] = [s for s in wf["steps"] if s["state"] == "open"]
    (step,) = opened
    return step


def act(
    platform: RunningPlatform,
    approval: httpx.Client,
    tenant: str,
    step: dict[str, Any],
    outcome: str = "approve",
    **extra: Any,
) -> dict[str, Any]:
    claims = {"user": f"{step['role']}-1"}
    if step["role"] == "unit_officer" and step.get("unit_id"):
        # A unit officer acts only for the unit its token names (ADR 0008).
        claims["unit"] = step["unit_id"]
    r = approval.post(
        f"/v1/steps/{step['step_id']}/opinions",
        headers=platform.headers(tenant, step["role"], **claims),
        json={"outcome": outcome, "opinion": f"{step['code']}：{outcome}", **extra},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def run_to_end(
    platform: RunningPlatform, approval: httpx.Client, tenant: str, wf: dict[str, Any]
) -> dict[str, Any]:
    """Approve every step in order (naming experts where the step needs them)."""
    while wf["state"] == "open":
        step = open_step(wf)
        if step["code"] == "expert_review":
            experts_agree(platform, approval, tenant, step)
        wf = act(platform, approval, tenant, step)
    return wf


def experts_agree(
    platform: RunningPlatform, approval: httpx.Client, tenant: str, step: dict[str, Any]
) -> None:
    bureau = platform.headers(tenant, "bureau_officer")
    experts = [{"user": f"expert-{uuid.uuid4().hex[:6]}", "name": n} for n in ("李专家", "王专家")]
    r = approval.put(
        f"/v1/steps/{step['step_id']}/experts", headers=bureau, json={"experts": experts}
    )
    assert r.status_code == 200, r.text
    for e in experts:
        r = approval.post(
            f"/v1/steps/{step['step_id']}/expert-opinions",
            headers=platform.headers(tenant, "expert", user=e["user"]),
            json={"conclusion": "agree", "opinion": f"{e['name']}：方案可行，同意立项。"},
        )
        assert r.status_code == 200, r.text


async def redeliver(nats_url: str, subject: str, pid: str) -> None:
    """Publish the project's last event on ``subject`` again under a new message and event id."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(subject, ordered_consumer=True)
        found = None
        while found is None:
            msg = await sub.next_msg(timeout=5)
            if pid.encode() in msg.data:
                found = msg
        headers = dict(found.headers or {})
        new_id = str(uuid.uuid4())
        headers["ce-id"] = new_id
        headers["Nats-Msg-Id"] = new_id
        await js.publish(found.subject, found.data, headers=headers)
        await sub.unsubscribe()
    finally:
        await nc.close()
