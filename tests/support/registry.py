"""Registry helpers the cross-service tests share (not a test module: nothing here is collected).

The registry's own journeys and the budget, acceptance and policy tests all start from a
unit and a project here.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from libs.common.events import Event, make_event, system_actor
from libs.common.testing.platform import RunningPlatform
from tests.support.polling import until_body

YUNAN, XIANGQIAO, CHAOAN, CHAOZHOU = "445322", "445102", "445103", "445100"
SOFTWARE = {"project_class": "professional", "service_types": ["software_development"]}
# Far enough ahead that the policy's demand window (Yunan: 11-30 of the year before) is open.
PLAN_YEAR = date.today().year + 2


def problem(r: httpx.Response) -> dict[str, Any]:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body: dict[str, Any] = r.json()
    return body


def officer(platform: RunningPlatform, tenant: str, unit: str) -> dict[str, str]:
    """A 项目管理专员 of ``unit``: the token names the unit, as Keycloak's does (ADR 0008)."""
    return platform.headers(tenant, "unit_officer", unit=unit)


def new_unit(platform: RunningPlatform, registry: httpx.Client, tenant: str) -> str:
    r = registry.post(
        "/v1/units",
        headers=platform.headers(tenant, "bureau_officer"),
        json={"name": f"测试单位{uuid.uuid4().hex[:8]}"},
    )
    assert r.status_code == 201, r.text
    unit_id: str = r.json()["id"]
    return unit_id


def project_body(unit_id: str, amount: int = 800_000, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"智慧政务平台{uuid.uuid4().hex[:6]}",
        "unit_id": unit_id,
        "year": PLAN_YEAR,
        "description": "测试项目",
        "contacts": [{"name": "张三", "phone": "0766-1234567"}],
        "schedule": {"start": f"{PLAN_YEAR}-01-01", "end": f"{PLAN_YEAR}-12-31"},
        "facts": {**SOFTWARE, "amount": amount, "software_amount": amount},
        **extra,
    }


def create_project(
    platform: RunningPlatform, registry: httpx.Client, tenant: str, unit_id: str, **kw: Any
) -> dict[str, Any]:
    r = registry.post(
        "/v1/projects",
        headers=officer(platform, tenant, unit_id),
        json=project_body(unit_id, **kw),
    )
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "draft"
    body: dict[str, Any] = r.json()
    return body


def wait_state(
    platform: RunningPlatform,
    registry: httpx.Client,
    tenant: str,
    pid: str,
    state: str,
    *,
    role: str = "unit_officer",
) -> dict[str, Any]:
    """Wait until the registry shows ``pid`` in ``state``, read with ``role``'s token."""
    headers = platform.headers(tenant, role)
    return until_body(
        lambda: registry.get(f"/v1/projects/{pid}", headers=headers),
        lambda project: project.get("state") == state,
        timeout=20,
        what=f"{pid} did not reach {state}",
    )


def planned_items(
    platform: RunningPlatform,
    registry: httpx.Client,
    tenant: str,
    unit: str,
    year: int,
    n: int,
    *,
    headers: dict[str, str] | None = None,
) -> list[str]:
    """n demand items of ``unit`` consolidated into ``tenant``'s plan for ``year``.

    The items are filed with ``headers`` (the unit's officer unless told): the bureau,
    which ADR 0008 lets act for every unit of its jurisdiction, files them as well.
    """
    items = []
    for i in range(n):
        r = registry.post(
            f"/v1/plans/{year}/items",
            headers=headers or officer(platform, tenant, unit),
            json={
                "unit_id": unit,
                "name": f"需求{i}",
                "project_class": "professional",
                "amount": 800_000,
            },
        )
        assert r.status_code == 201, r.text
        items.append(r.json()["id"])
    r = registry.post(
        f"/v1/plans/{year}/consolidate", headers=platform.headers(tenant, "bureau_officer")
    )
    assert r.status_code == 200, r.text
    return items


def archive_document(platform: RunningPlatform, tenant: str, doc_type: str = "other") -> str:
    """A document filed in ``tenant``'s electronic archive (the registry learns of it by event)."""
    fields = {
        "title": "数据迁移证明",
        "doc_type": doc_type,
        "doc_date": date.today().isoformat(),
        "author_unit": "政务服务数据管理局",
        "security_level": "non_secret",
        "retention_period": "y10",
    }
    content = b"%PDF-1.4\n% migration evidence " + uuid.uuid4().bytes
    with platform.client("archive") as archive:
        r = archive.post(
            "/v1/documents",
            headers=platform.headers(tenant, "bureau_officer"),
            data=fields,
            files={"file": ("数据迁移证明.pdf", content, "application/pdf")},
        )
    assert r.status_code == 201, r.text
    doc_id: str = r.json()["id"]
    return doc_id


def submitted_event(
    tenant: str,
    facts: dict[str, Any],
    *,
    source: str,
    name: str = "政务云扩容项目",
    **data: Any,
) -> Event:
    """A ``registry.project.submitted`` event whole, as the registry sends it (first submission).

    For feeding approval's consumer without a registry: ``source`` names the sender
    (the actor), ``data`` replaces any field (``project_id``, ``submitted_on``, ...).
    """
    project_id = data.pop("project_id", str(uuid.uuid4()))
    return make_event(
        tenant=tenant,
        service="registry",
        aggregate="project",
        event="submitted",
        data={
            "tenant": tenant,
            "project_id": project_id,
            "unit_id": str(uuid.uuid4()),
            "name": name,
            "year": date.today().year + 1,
            "amount": int(facts.get("amount") or 0),
            "state": "submitted",
            "version": 2,
            "submission": 1,
            "submitted_on": date.today().isoformat(),
            "facts": facts,
            **data,
        },
        actor=system_actor(source, tenant),
    )
