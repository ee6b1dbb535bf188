"""Helpers of the budget service's cross-service tests (tests/integration/test_budget_*.py).

Projects reach the budget service two ways: through the registry and approval
(a real project, :func:`self_managed_project`), or as the approval service
would publish them (:func:`fake_project`: the decision evaluated by the real
engine, published on the real NATS). Registry writes use the bureau's token,
which ADR 0008 lets act for every unit of its jurisdiction.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import httpx
import nats
from nats.js.api import DeliverPolicy

from libs.common.events import Event, from_nats, make_event, system_actor, to_nats
from libs.common.testing.platform import RunningPlatform, eventually
from policies.tests.support import decision, registry
from services.archive.tests import samples
from tests.support import registry as registry_support
from tests.support.polling import until_body
from tests.support.registry import new_unit, problem

__all__ = [
    "CHAOZHOU",
    "LAIZHOU",
    "LAIZHOU_ON",
    "POTOU",
    "XIANGQIAO",
    "YEAR",
    "YUNAN",
    "add_line",
    "approval_event",
    "archive_document",
    "create_project",
    "fake_project",
    "known_to_budget",
    "laizhou_facts",
    "lines",
    "new_unit",
    "planned_items",
    "problem",
    "publish",
    "self_managed_project",
    "start_procurement",
    "submit",
    "until_replicated",
    "wait_state",
]

YUNAN, XIANGQIAO = "445322", "445102"
LAIZHOU, POTOU, CHAOZHOU = "370683", "440804", "445100"
LAIZHOU_ON = date(2023, 3, 1)  # 莱政办发〔2022〕6号 is in force 2022-09-29 .. 2024-09-28
YEAR = date.today().year + 5  # the budget tests' own plan year


# --------------------------------------------------------------------------- registry


def bureau(platform: RunningPlatform, tenant: str) -> dict[str, str]:
    return platform.headers(tenant, "bureau_officer")


def create_project(
    platform: RunningPlatform,
    registry_client: httpx.Client,
    tenant: str,
    unit_id: str,
    *,
    amount: int = 800_000,
    **extra: Any,
) -> str:
    """A draft of ``unit_id`` in the budget tests' own plan year, filed by the bureau: its id."""
    body = registry_support.project_body(
        unit_id,
        amount,
        name=f"预算测试项目{uuid.uuid4().hex[:6]}",
        year=YEAR,
        schedule={"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"},
        **extra,
    )
    r = registry_client.post("/v1/projects", headers=bureau(platform, tenant), json=body)
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    return pid


def submit(platform: RunningPlatform, registry_client: httpx.Client, tenant: str, pid: str) -> None:
    r = registry_client.post(f"/v1/projects/{pid}/submit", headers=bureau(platform, tenant))
    assert r.status_code == 200, r.text


def planned_items(
    platform: RunningPlatform, registry_client: httpx.Client, tenant: str, unit: str, n: int
) -> list[str]:
    """n demand items of ``unit`` consolidated into ``tenant``'s plan for :data:`YEAR`."""
    return registry_support.planned_items(
        platform, registry_client, tenant, unit, YEAR, n, headers=bureau(platform, tenant)
    )


def wait_state(
    platform: RunningPlatform, registry_client: httpx.Client, tenant: str, pid: str, state: str
) -> dict[str, Any]:
    """Wait until the registry shows ``pid`` in ``state``, read with the bureau's token."""
    return registry_support.wait_state(
        platform, registry_client, tenant, pid, state, role="bureau_officer"
    )


# --------------------------------------------------------------------------- budget


def known_to_budget(
    platform: RunningPlatform, budget: httpx.Client, tenant: str, pid: str, status: str
) -> dict[str, Any]:
    """Wait until the budget service holds the project in ``status``."""
    return until_body(
        lambda: budget.get(f"/v1/projects/{pid}/budget", headers=bureau(platform, tenant)),
        lambda project: project.get("status") == status,
        timeout=20,
        what=f"budget never saw {pid} as {status}",
    )


def self_managed_project(
    platform: RunningPlatform,
    registry_client: httpx.Client,
    budget: httpx.Client,
    amount: int = 50_000,
) -> tuple[str, str]:
    """A Yunan project small enough that its unit approves it itself (郁南 第十条): (id, unit)."""
    unit = new_unit(platform, registry_client, YUNAN)
    pid = create_project(platform, registry_client, YUNAN, unit, amount=amount)
    submit(platform, registry_client, YUNAN, pid)
    wait_state(platform, registry_client, YUNAN, pid, "approved")
    known_to_budget(platform, budget, YUNAN, pid, "approved")
    return pid, unit


def stream(nats_url: str, subject: str) -> list[Event]:
    """Every message on ``subject`` in the GOVPROJ stream, parsed as the consumers parse them."""

    async def run() -> list[Event]:
        nc = await nats.connect(nats_url)
        out: list[Event] = []
        try:
            js = nc.jetstream()
            sub = await js.subscribe(
                subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
            )
            while True:
                try:
                    msg = await sub.next_msg(timeout=1.0)
                except TimeoutError:
                    break
                out.append(from_nats(msg.subject, msg.headers, msg.data))
            await sub.unsubscribe()
        finally:
            await nc.drain()
        return out

    return asyncio.run(run())


def publish(nats_url: str, *events: Event) -> None:
    """Publish events on the real JetStream as their producer would (headers, Nats-Msg-Id)."""

    async def run() -> None:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            for event in events:
                subject, headers, payload = to_nats(event)
                await js.publish(subject, payload, headers=headers)
        finally:
            await nc.drain()

    asyncio.run(run())


def approval_event(tenant: str, aggregate: str, name: str, data: dict[str, Any]) -> Event:
    return make_event(
        tenant=tenant,
        service="approval",
        aggregate=aggregate,
        event=name,
        data={"tenant": tenant, **data},
        actor=system_actor("approval.workflow", tenant),
    )


def fake_project(
    platform: RunningPlatform,
    nats_url: str,
    budget: httpx.Client,
    tenant: str,
    facts: dict[str, Any],
    on: date,
    *,
    approved_amount: int | None = None,
    approve: bool = True,
    outcome: str = "approved",
) -> tuple[str, dict[str, Any]]:
    """A project decided by the real engine on ``on`` (and approved) as approval publishes it.

    It has no 建设单位 (the registry never saw it), so only the bureau writes its budget.
    """
    body = decision(registry().pack_for(tenant, on), facts, on)
    pid = str(uuid.uuid4())
    decision_id = str(uuid.uuid4())
    events = [
        # What the registry would have said of the draft: the archive files documents
        # only under projects its replica knows (issue 16 item 7).
        make_event(
            tenant=tenant,
            service="registry",
            aggregate="project",
            event="created",
            data={
                "tenant": tenant,
                "project_id": pid,
                "unit_id": str(uuid.uuid4()),
                "name": "测试项目",
                "year": on.year,
                "amount": int(facts.get("amount", 0)),
                "state": "draft",
                "version": 1,
                "facts": facts,
            },
            actor=system_actor("registry.test", tenant),
        ),
        approval_event(
            tenant,
            "project",
            "decided",
            {
                "project_id": pid,
                "submission": 1,
                "decision_id": decision_id,
                "route": body["route"]["code"],
                "article": body["route"]["article"],
                "explanation": body["route"]["explanation"],
                "provisional": body["provisional"],
                "policy": body["policy"],
                "decision": body,
                "facts": facts,
            },
        )
    ]
    if approve:
        events.append(
            approval_event(
                tenant,
                "project",
                outcome,
                {
                    "project_id": pid,
                    "submission": 1,
                    "workflow_id": str(uuid.uuid4()),
                    "decision_id": decision_id,
                    "route": body["route"]["code"],
                    "reason": "同意立项",
                    "approval": {
                        "number": f"测审〔{on.year}〕{uuid.uuid4().hex[:4]}号",
                        "approved_on": on.isoformat(),
                        "valid_until": None,
                        "approved_amount": approved_amount,
                        "article": body["route"]["article"],
                    },
                },
            )
        )
    publish(nats_url, *events)
    known_to_budget(platform, budget, tenant, pid, outcome if approve else "under_review")
    return pid, body


def laizhou_facts(amount: int = 800_000) -> dict[str, Any]:
    return {
        "project_class": "professional",
        "category": "governance",
        "service_types": ["software_development"],
        "amount": amount,
        "software_amount": amount,
        "in_annual_plan": True,
    }


def add_line(
    platform: RunningPlatform, budget: httpx.Client, tenant: str, pid: str, **body: Any
) -> httpx.Response:
    """A budget line, written by the bureau (it acts for every unit of its jurisdiction)."""
    return budget.post(f"/v1/projects/{pid}/lines", headers=bureau(platform, tenant), json=body)


def start_procurement(
    platform: RunningPlatform, budget: httpx.Client, tenant: str, pid: str, method: str
) -> None:
    """The bureau starts the project's procurement on 2023-05-01 (setup: it must succeed)."""
    r = budget.post(
        f"/v1/projects/{pid}/procurement",
        headers=bureau(platform, tenant),
        json={"method": method, "started_on": "2023-05-01"},
    )
    assert r.status_code == 201, r.text


def lines(platform: RunningPlatform, budget: httpx.Client, tenant: str, pid: str) -> list[Any]:
    r = budget.get(f"/v1/projects/{pid}/lines", headers=platform.headers(tenant, "auditor"))
    assert r.status_code == 200, r.text
    out: list[Any] = r.json()
    return out


# --------------------------------------------------------------------------- archive


def archive_document(platform: RunningPlatform, tenant: str, pid: str, doc_type: str) -> str:
    """Upload a document filed under the project to the archive; its id.

    The budget service learns it from the archive's events a moment later:
    cite it through :func:`until_replicated`.
    """
    fields = {
        "title": f"测试文件{uuid.uuid4().hex[:6]}",
        "doc_type": doc_type,
        "doc_date": "2026-11-01",
        "author_unit": "测试单位",
        "security_level": "non_secret",
        "retention_period": "y10",
        "project_id": pid,
    }
    files = {"file": ("文件.pdf", samples.pdf(), "application/pdf")}
    with platform.client("archive") as archive:
        r = archive.post(
            "/v1/documents", headers=bureau(platform, tenant), data=fields, files=files
        )
    assert r.status_code == 201, r.text
    doc_id: str = r.json()["id"]
    return doc_id


def until_replicated(send: Any, field: str) -> httpx.Response:
    """Send a request citing a fresh archive document until budget's replica knows it."""
    answer: dict[str, httpx.Response] = {}

    def known() -> bool:
        answer["r"] = send()
        r = answer["r"]
        return not (r.status_code == 422 and r.json().get("field") == field)

    eventually(known, timeout=20)
    return answer["r"]
