"""Helpers the acceptance journeys share: a project driven through the real services.

registry (submit) → approval (decision, review workflow) → budget (procurement,
contract) → acceptance (completion, record), with evidence uploaded to the
archive; every unit officer acts with the project's own unit claim (ADR 0008).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import psycopg

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform, eventually
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.archive.tests import samples
from tests.integration.workflow_support import experts_agree, open_step, workflow_of
from tests.support.polling import until_body
from tests.support.registry import (
    PLAN_YEAR,
    create_project,
    new_unit,
    planned_items,
    wait_state,
)

YEAR = PLAN_YEAR + 5  # its own plan year (other modules consolidate theirs)
PROFESSIONAL = {"project_class": "professional", "service_types": ["software_development"]}


#: Project id → its unit (建设单位): a unit officer acts only with its unit's claim (ADR 0008).
UNITS: dict[str, str] = {}


def unit_headers(platform: RunningPlatform, tenant: str, pid: str) -> dict[str, str]:
    """A unit officer of the project's own unit (a token without a ``unit`` claim is refused)."""
    return platform.headers(tenant, "unit_officer", unit=UNITS[pid])


def submit(
    platform: RunningPlatform, registry: httpx.Client, tenant: str, pid: str, **body: Any
) -> None:
    r = registry.post(
        f"/v1/projects/{pid}/submit",
        headers=unit_headers(platform, tenant, pid),
        json=body or None,
    )
    assert r.status_code == 200, r.text


def planned_project(
    platform: RunningPlatform,
    registry: httpx.Client,
    tenant: str,
    amount: int = 800_000,
    year: int = YEAR,
    **extra: Any,
) -> str:
    """A project of a new unit, from its demand item in ``tenant``'s plan for ``year``.

    The plan is consolidated with the item: one project per tenant and year (a module
    that needs a second one in a tenant takes a year of its own).
    """
    unit = new_unit(platform, registry, tenant)
    (item,) = planned_items(platform, registry, tenant, unit, year, 1)
    facts = {**PROFESSIONAL, "amount": amount, "software_amount": amount, **extra}
    project = create_project(
        platform, registry, tenant, unit, year=year, demand_item_id=item, facts=facts
    )
    pid: str = project["id"]
    UNITS[pid] = unit
    return pid


def run_workflow(
    platform: RunningPlatform,
    approval: httpx.Client,
    tenant: str,
    pid: str,
    *,
    opinion: str | None = None,
) -> dict[str, Any]:
    """Approve every step of the project's review workflow in order (experts where needed).

    The unit's own steps are taken by an officer of the project's unit: a unit officer
    without a ``unit`` claim is refused (ADR 0008), which ``workflow_support.act`` is not
    told about.
    """
    wf = workflow_of(platform, approval, tenant, pid)
    while wf["state"] == "open":
        step = open_step(wf)
        if step["code"] == "expert_review":
            experts_agree(platform, approval, tenant, step)
        unit = {"unit": UNITS[pid]} if step["role"] == "unit_officer" else {}
        r = approval.post(
            f"/v1/steps/{step['step_id']}/opinions",
            headers=platform.headers(tenant, step["role"], user=f"{step['role']}-1", **unit),
            json={"outcome": "approve", "opinion": opinion or f"{step['code']}：approve"},
        )
        assert r.status_code == 200, r.text
        wf = r.json()
    return wf


def upload(
    platform: RunningPlatform,
    archive: httpx.Client,
    tenant: str,
    pid: str,
    doc_type: str,
    title: str,
) -> str:
    """A real PDF into the archive, attached to the project."""
    fields = {
        "title": title,
        "doc_type": doc_type,
        "doc_number": f"测〔2026〕{uuid.uuid4().hex[:4]}号",
        "doc_date": today_in_china().isoformat(),
        "author_unit": "测试建设单位",
        "security_level": "non_secret",
        "retention_period": "y30",
        "project_id": pid,
        "step_id": "acceptance",
    }
    r = archive.post(
        "/v1/documents",
        headers=unit_headers(platform, tenant, pid),
        data=fields,
        files={"file": (f"{title}.pdf", samples.pdf(), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    doc_id: str = r.json()["id"]
    return doc_id


def until_ok(call: Callable[[], httpx.Response], *, timeout: float = 30) -> httpx.Response:
    """Repeat a call that waits on another service's event (404/409 until it arrives)."""
    last: list[httpx.Response] = []

    def done() -> bool:
        last[:] = [call()]
        return last[0].status_code in (200, 201)

    try:
        eventually(done, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"never succeeded: {last[0].status_code} {last[0].text}") from None
    return last[0]


def build(
    platform: RunningPlatform,
    budget: httpx.Client,
    archive: httpx.Client,
    tenant: str,
    pid: str,
    *,
    started_on: date,
    signed_on: date,
) -> None:
    """Procurement and the first contract (budget service): the project is implementing."""
    unit = unit_headers(platform, tenant, pid)
    until_ok(
        lambda: budget.post(
            f"/v1/projects/{pid}/procurement",
            headers=unit,
            json={"method": "public_tender", "started_on": started_on.isoformat()},
        )
    )
    contract = upload(platform, archive, tenant, pid, "contract", "建设合同")
    # The budget knows the contract's file once the archive's document.uploaded reached it
    # (422 until then: nothing is recorded, so asking again is safe).
    until_ok(
        lambda: budget.post(
            f"/v1/projects/{pid}/contracts",
            headers=unit,
            json={
                "supplier": "某信息技术有限公司",
                "amount": 700_000,
                "signed_on": signed_on.isoformat(),
                "document_id": contract,
            },
        )
    )


def complete(
    platform: RunningPlatform, acceptance: httpx.Client, tenant: str, pid: str, on: date
) -> dict[str, Any]:
    body: dict[str, Any] = until_ok(
        lambda: acceptance.post(
            f"/v1/projects/{pid}/completion",
            headers=unit_headers(platform, tenant, pid),
            json={"completed_on": on.isoformat(), "note": "系统建设完成，试运行正常"},
        )
    ).json()
    return body


def record_of(
    platform: RunningPlatform,
    acceptance: httpx.Client,
    tenant: str,
    pid: str,
    until: Callable[[dict[str, Any]], bool] = lambda r: True,
) -> dict[str, Any]:
    """The project's acceptance record once ``until`` holds for it."""
    return until_body(
        lambda: acceptance.get(
            f"/v1/projects/{pid}/acceptance", headers=unit_headers(platform, tenant, pid)
        ),
        until,
        timeout=30,
        what=f"acceptance record of {pid} not as expected",
    )


def has_doc(
    platform: RunningPlatform, acceptance: httpx.Client, tenant: str, pid: str, doc: str
) -> None:
    """Wait until the archive's upload of ``doc`` has reached the acceptance service."""
    record_of(platform, acceptance, tenant, pid, lambda r: doc in {d["id"] for d in r["documents"]})


def acceptance_body(report: str, held_on: date, outcome: str = "passed") -> dict[str, Any]:
    return {
        "outcome": outcome,
        "held_on": held_on.isoformat(),
        "report_document_id": report,
        "expert_opinions": [
            {
                "name": "赵专家",
                "organization": "某大学",
                "opinion": "功能完整，同意通过。",
                "conclusion": "pass",
            },
            {"name": "钱专家", "opinion": "文档齐全。", "conclusion": "pass"},
        ],
        "conclusion": "项目按合同完成建设内容，同意通过验收。",
    }


def outbox(db: DatabaseUrls, pid: str) -> list[tuple[str, dict[str, Any]]]:
    """The acceptance service's events about a project, in order, with their actors."""
    with psycopg.connect(db.admin) as conn:
        rows = conn.execute(
            "SELECT type, headers FROM acceptance.outbox WHERE payload->>'project_id' = %s "
            "ORDER BY id",
            (pid,),
        ).fetchall()
    return [(t, h) for t, h in rows]


# 莱政办发〔2022〕6号 (in force 2022-09-29..2024-09-28): projects submitted then, built in 2023-24.
LAIZHOU = "370683"
LAIZHOU_FACTS = {
    "project_class": "professional",
    "category": "governance",
    "service_types": ["software_development"],
    "amount": 6_000_000,
    "software_amount": 3_000_000,
    "mandated": True,  # 第十条: outside the yearly plan only where 上级 requires it
}


def laizhou_project(
    platform: RunningPlatform, c: dict[str, httpx.Client], completed_on: date = date(2024, 3, 4)
) -> str:
    """A 6,000,000 governance project: approved, contracted 2023-10-09, completed 2024-03-04."""
    unit = new_unit(platform, c["registry"], LAIZHOU)
    pid: str = create_project(
        platform, c["registry"], LAIZHOU, unit, year=2024, amount=6_000_000, facts=LAIZHOU_FACTS
    )["id"]
    UNITS[pid] = unit
    submit(platform, c["registry"], LAIZHOU, pid, submitted_on="2023-06-01")
    assert run_workflow(platform, c["approval"], LAIZHOU, pid)["route"] == "approval"
    wait_state(platform, c["registry"], LAIZHOU, pid, "approved")
    build(
        platform,
        c["budget"],
        c["archive"],
        LAIZHOU,
        pid,
        started_on=date(2023, 8, 1),
        signed_on=date(2023, 10, 9),
    )
    wait_state(platform, c["registry"], LAIZHOU, pid, "implementing")
    record_of(
        platform, c["acceptance"], LAIZHOU, pid, lambda r: r["dates"]["implementing_on"] is not None
    )
    complete(platform, c["acceptance"], LAIZHOU, pid, completed_on)
    return pid


def accept_laizhou(
    platform: RunningPlatform, c: dict[str, httpx.Client], pid: str, held_on: date
) -> None:
    """The completed 莱州 project checked by its unit (第二十三条's reports as evidence) and accepted."""
    acceptance, archive = c["acceptance"], c["archive"]
    unit = unit_headers(platform, LAIZHOU, pid)
    report = upload(platform, archive, LAIZHOU, pid, "acceptance_report", "验收报告")
    evidence = {
        code: upload(platform, archive, LAIZHOU, pid, doc_type, doc_type)
        for code, doc_type in (
            ("supervision", "supervision_report"),
            ("third_party_testing", "test_report"),
            ("security_assessment", "security_assessment_report"),
            ("data_resource_catalog", "other"),
        )
    }
    for doc in (report, *evidence.values()):
        has_doc(platform, acceptance, LAIZHOU, pid, doc)
    assert acceptance.post(f"/v1/projects/{pid}/review", headers=unit, json={}).status_code == 200
    for code, doc in evidence.items():
        r = acceptance.put(
            f"/v1/projects/{pid}/review/items/{code}",
            headers=unit,
            json={"evidence_document_ids": [doc]},
        )
        assert r.status_code == 200, r.text
    r = acceptance.post(
        f"/v1/projects/{pid}/acceptance",
        headers=unit,
        json=acceptance_body(report, held_on),
    )
    assert r.status_code == 200, r.text


def archive_acceptance(
    platform: RunningPlatform, archive: httpx.Client, tenant: str, pid: str
) -> dict[str, Any]:
    """档案验收 of the project: the unit packages its files, the bureau decides."""
    unit = unit_headers(platform, tenant, pid)
    r = archive.post(f"/v1/projects/{pid}/packages", headers=unit, json={})
    assert r.status_code == 201, r.text
    r = archive.post(
        f"/v1/projects/{pid}/archive-acceptance",
        headers=platform.headers(tenant, "bureau_officer"),
        json={"package_id": r.json()["id"]},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def prove(
    platform: RunningPlatform,
    c: dict[str, httpx.Client],
    tenant: str,
    pid: str,
    code: str,
    doc_type: str,
) -> None:
    """Upload a document of ``doc_type`` and name it as the proof of checklist item ``code``."""
    doc = upload(platform, c["archive"], tenant, pid, doc_type, code)
    has_doc(platform, c["acceptance"], tenant, pid, doc)
    r = c["acceptance"].put(
        f"/v1/projects/{pid}/review/items/{code}",
        headers=unit_headers(platform, tenant, pid),
        json={"evidence_document_ids": [doc]},
    )
    assert r.status_code == 200, r.text


def operate_and_evaluate(
    platform: RunningPlatform,
    c: dict[str, httpx.Client],
    tenant: str,
    pid: str,
    on: date,
    **evaluation: Any,
) -> dict[str, Any]:
    """投入使用 on ``on``, then the unit's 应用效果自评价 (its report uploaded first)."""
    acceptance, unit = c["acceptance"], unit_headers(platform, tenant, pid)
    r = acceptance.post(
        f"/v1/projects/{pid}/operation", headers=unit, json={"in_operation_on": on.isoformat()}
    )
    assert r.status_code == 200, r.text
    report = upload(platform, c["archive"], tenant, pid, "evaluation_report", "应用效果自评价报告")
    has_doc(platform, acceptance, tenant, pid, report)
    r = acceptance.post(
        f"/v1/projects/{pid}/evaluations",
        headers=unit,
        json={
            "kind": "self_evaluation",
            "report_document_id": report,
            "submitted_on": on.isoformat(),
            "summary": "系统运行稳定，达到预期效果",
            **evaluation,
        },
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body
