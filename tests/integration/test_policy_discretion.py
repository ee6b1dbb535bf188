"""The authority's discretion on the running platform (issue 17), over HTTP and NATS.

- 坡头 第八条 "……原则上不予立项": 区政务服务数据管理局 waives it for one project with a
  written reason; the unit cannot; the decision honours it; 湛江市 counts it on its
  dashboard; the auditor of 坡头 sees it; 郁南 does not.
- 坡头 第十二条 政府采购限额: recorded by the bureau with its 文号; a value effective
  later leaves today's decisions provisional, saying why.
- What-if: 郁南 第十条 50万 → 40万 moves exactly the filed projects from 40万 to 50万.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform, eventually
from tests.integration.workflow_support import planned_project, uncatalogued_operations
from tests.support.registry import (
    YUNAN,
)

POTOU, ZHANJIANG = "440804", "440800"
ROOT = Path(__file__).resolve().parents[2]


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def submit(
    platform: RunningPlatform, registry: httpx.Client, tenant: str, pid: str, unit: str
) -> None:
    """Submit as the unit's officer (ADR 0008: a unit officer acts for the unit in its token)."""
    r = registry.post(
        f"/v1/projects/{pid}/submit", headers=platform.headers(tenant, "unit_officer", unit=unit)
    )
    assert r.status_code == 200, r.text


def decision_of(
    platform: RunningPlatform, approval: httpx.Client, tenant: str, pid: str
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def decided() -> bool:
        r = approval.get(
            f"/v1/projects/{pid}/decision", headers=platform.headers(tenant, "bureau_officer")
        )
        if r.status_code == 200:
            seen.update(r.json())
        return r.status_code == 200

    eventually(decided, timeout=20)
    return seen["decision"]  # type: ignore[no-any-return]


def test_potou_bureau_waives_article_8_for_one_project(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    unit, pid = uncatalogued_operations(platform, registry, POTOU)
    body = {
        "project_id": pid,
        "project_name": "渔政执法系统运维",
        "rule": "scope.ineligible_not_in_catalog",
        "reason": "该系统已报送补录政务信息系统目录，渔汛期执法保障不可中断",
    }
    # A unit cannot waive what the bureau decides.
    r = approval.post(
        "/v1/policy/exceptions",
        json=body,
        headers={**platform.headers(POTOU, "unit_officer", unit=unit), **key()},
    )
    assert r.status_code == 403, r.text
    assert "区政务服务数据管理局" in r.json()["detail"]
    # The bureau does, once (a retry with the same key replays the answer).
    headers = {**platform.headers(POTOU, "bureau_officer"), **key()}
    first = approval.post("/v1/policy/exceptions", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["article"] == "第八条第（一）项"
    again = approval.post("/v1/policy/exceptions", json=body, headers=headers)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]

    submit(platform, registry, POTOU, pid, unit)
    d = decision_of(platform, approval, POTOU, pid)
    # 第十二条 "运行维护服务……可采取备案制管理" now decides; the exception is shown.
    assert (d["route"]["code"], d["route"]["article"]) == ("filing", "第十二条第（二）项")
    [applied] = d["exceptions"]
    assert applied["article"] == "第八条第（一）项" and applied["reason"] == body["reason"]
    bureau = platform.headers(POTOU, "bureau_officer")
    eventually(
        lambda: (
            registry.get(f"/v1/projects/{pid}", headers=bureau).json().get("state")
            == "under_review"
        ),
        timeout=20,
    )

    # 湛江市 oversees 坡头: its dashboard counts the exception; 坡头's auditor reads it.
    counts = approval.get(
        "/v1/policy/exceptions/summary", headers=platform.headers(ZHANJIANG, "overseer")
    ).json()
    year = today_in_china().year
    assert any(c["tenant"] == POTOU and c["year"] == year and c["count"] >= 1 for c in counts)
    audited = approval.get(
        "/v1/policy/exceptions", headers=platform.headers(POTOU, "auditor")
    ).json()
    assert pid in {e["project_id"] for e in audited}
    # Another county (郁南, under 云浮市) never sees it.
    other = approval.get("/v1/policy/exceptions", headers=platform.headers(YUNAN, "overseer"))
    assert other.status_code == 200 and pid not in {e["project_id"] for e in other.json()}
    other_counts = approval.get(
        "/v1/policy/exceptions/summary", headers=platform.headers(YUNAN, "bureau_officer")
    ).json()
    assert all(c["tenant"] != POTOU for c in other_counts)


def test_without_the_exception_potou_article_8_still_bars(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    unit, pid = uncatalogued_operations(platform, registry, POTOU)
    submit(platform, registry, POTOU, pid, unit)
    d = decision_of(platform, approval, POTOU, pid)
    assert d["route"]["code"] == "ineligible"
    assert "（可由区政务服务数据管理局决定例外，第八条第（一）项）" in d["route"]["explanation"]


def test_potou_procurement_limit_is_recorded_with_its_document(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    # A value that judges submissions from 2099 on: today's decisions stay provisional.
    body = {
        "name": "procurement_limit",
        "value": 1_000_000,
        "document": "坡财采〔2099〕1号（测试）",
        "document_date": "2098-12-01",
        "effective_from": "2099-01-01",
    }
    unit_try = approval.post(
        "/v1/policy/parameters",
        json=body,
        headers={**platform.headers(POTOU, "unit_officer"), **key()},
    )
    assert unit_try.status_code == 403
    r = approval.post(
        "/v1/policy/parameters",
        json=body,
        headers={**platform.headers(POTOU, "bureau_officer"), **key()},
    )
    assert r.status_code in (201, 409), r.text  # 409: an earlier run of this module set it
    listed = approval.get(
        "/v1/policy/parameters", headers=platform.headers(POTOU, "bureau_officer")
    ).json()
    assert any(p["document"] == body["document"] and p["label"] == "政府采购限额" for p in listed)
    wrong = approval.post(
        "/v1/policy/parameters",
        json={**body, "value": "一百万", "effective_from": "2099-02-01"},
        headers={**platform.headers(POTOU, "bureau_officer"), **key()},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "value"

    unit, pid = planned_project(platform, registry, POTOU, amount=600_000)
    submit(platform, registry, POTOU, pid, unit)
    d = decision_of(platform, approval, POTOU, pid)
    assert d["route"]["code"] == "approval" and d["provisional"] is True
    assert any(
        "政府采购限额（第十二条）尚未由区政务服务数据管理局设定" in t
        for t in d["provisional_reasons"]
    )


def test_yunan_threshold_40_wan_moves_exactly_the_filed_projects_from_40_to_50_wan(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    since = today_in_china()
    mine: dict[str, int] = {}
    for amount in (350_000, 420_000, 480_000, 520_000):
        unit, pid = planned_project(platform, registry, YUNAN, amount=amount)
        submit(platform, registry, YUNAN, pid, unit)
        mine[pid] = amount
    for pid in mine:
        decision_of(platform, approval, YUNAN, pid)
    text = (ROOT / "policies" / "445322-yunan" / "2024-08-17.yaml").read_text(encoding="utf-8")
    old = "approval_min: {type: amount, value: 500000"
    candidate = text.replace("id: yunan-2024", "id: yunan-40", 1).replace(
        old, "approval_min: {type: amount, value: 400000"
    )
    r = approval.post(
        "/v1/policy/impact",
        json={"pack": candidate, "since": since.isoformat()},
        headers={**platform.headers(YUNAN, "bureau_officer"), **key()},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    moved = {p["project_id"]: p for p in report["projects"]}
    assert {pid for pid in mine if pid in moved} == {
        pid for pid, amount in mine.items() if amount in (420_000, 480_000)
    }
    # Nothing else moves, whoever else submitted today: only filed projects from 40万 to 50万.
    for p in report["projects"]:
        assert (p["route_before"], p["route_after"]) == ("filing", "approval")
        assert 400_000 <= p["amount"] < 500_000
    assert "第十条" in report["articles"]
    # Another tenant's pack is refused as a candidate for 郁南.
    potou = (ROOT / "policies" / "440804-potou" / "draft.yaml").read_text(encoding="utf-8")
    refused = approval.post(
        "/v1/policy/impact",
        json={"pack": potou},
        headers={**platform.headers(YUNAN, "bureau_officer"), **key()},
    )
    assert refused.status_code == 422
    assert date.fromisoformat(report["since"]) == since
