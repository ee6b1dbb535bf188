"""The auditor reads a project's whole trail, across every service, in order, with names.

A Yunan project is walked through the real services: the unit submits, two named
experts give their opinions, the finance system answers the finance review, the
bureau approves, the unit files a document, packages the archive and runs
四性检测, the bureau holds the archive acceptance. The county's auditor then
reads each of those on the registry's trail (ADR 0011), in that order, said in
Chinese, with the name of whoever did it; Potou's auditor is told it does not exist.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import httpx

from libs.common.testing.platform import RunningPlatform, eventually
from services.budget.finance.simulator import Policy, answer_for
from tests.integration.workflow_support import act, open_step, planned_project, workflow_of
from tests.support.budget import archive_document, publish, stream
from tests.support.portal import console_as
from tests.support.registry import wait_state

YUNAN, POTOU = "445322", "440804"
PUBLIC = {"project_class": "public", "service_types": ["software_development"]}


def _named(platform: RunningPlatform, role: str, name: str, **claims: str) -> dict[str, str]:
    user = claims.pop("user", f"{role}-{uuid.uuid4().hex[:6]}")
    return platform.headers(YUNAN, role, user=user, name=name, **claims)


def _experts_opine(platform: RunningPlatform, approval: httpx.Client, step: dict[str, Any]) -> None:
    experts = [{"user": f"expert-{uuid.uuid4().hex[:6]}", "name": n} for n in ("李明", "王芳")]
    r = approval.put(
        f"/v1/steps/{step['step_id']}/experts",
        headers=_named(platform, "bureau_officer", "赵科长"),
        json={"experts": experts},
    )
    assert r.status_code == 200, r.text
    for e in experts:
        r = approval.post(
            f"/v1/steps/{step['step_id']}/expert-opinions",
            headers=_named(platform, "expert", e["name"], user=e["user"]),
            json={"conclusion": "agree", "opinion": f"{e['name']}：方案可行，同意立项。"},
        )
        assert r.status_code == 200, r.text


def _finance_answers(platform: RunningPlatform, nats_url: str, pid: str) -> None:
    """The finance system answers the review the budget service asked it for (80%)."""
    found: list[Any] = []

    def asked() -> bool:
        found[:] = [
            e
            for e in stream(nats_url, f"govproj.{YUNAN}.budget.finance_review.requested")
            if e.data["project_id"] == pid
        ]
        return bool(found)

    eventually(asked, timeout=30)
    publish(nats_url, answer_for(found[0], Policy(ratio=Decimal("0.8"))))


def _after_step(
    platform: RunningPlatform, approval: httpx.Client, pid: str, step_id: str
) -> dict[str, Any]:
    """The workflow once the step is no longer open (the finance answer arrives by event)."""
    bureau = platform.headers(YUNAN, "bureau_officer")
    wf: dict[str, Any] = {}

    def closed() -> bool:
        wf.update(approval.get(f"/v1/projects/{pid}/workflow", headers=bureau).json())
        return any(s["step_id"] == step_id and s["state"] != "open" for s in wf["steps"])

    eventually(closed, timeout=60)
    return wf


def _approve(
    platform: RunningPlatform, approval: httpx.Client, nats_url: str, pid: str
) -> dict[str, Any]:
    wf = workflow_of(platform, approval, YUNAN, pid)
    while wf["state"] == "open":
        step = open_step(wf)
        if step["code"] == "finance_review":
            _finance_answers(platform, nats_url, pid)
            wf = _after_step(platform, approval, pid, step["step_id"])
            continue
        if step["code"] == "expert_review":
            _experts_opine(platform, approval, step)
        if step["role"] == "bureau_officer":
            r = approval.post(
                f"/v1/steps/{step['step_id']}/opinions",
                headers=_named(platform, "bureau_officer", "赵科长"),
                json={"outcome": "approve", "opinion": "同意"},
            )
            assert r.status_code == 200, r.text
            wf = r.json()
        else:
            wf = act(platform, approval, YUNAN, step)
    return wf


def _trail(platform: RunningPlatform, registry: httpx.Client, pid: str) -> list[dict[str, Any]]:
    """The whole trail as the county's auditor reads it, page by page (small pages)."""
    auditor = platform.headers(YUNAN, "auditor")
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        r = registry.get(f"/v1/projects/{pid}/trail", headers=auditor, params=params)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def _first(items: list[dict[str, Any]], pattern: str, after: int = -1) -> int:
    for i, item in enumerate(items):
        if i > after and re.search(pattern, item["sentence"]):
            return i
    sentences = "\n".join(f"{i} {e['sentence']}" for i, e in enumerate(items))
    raise AssertionError(f"no {pattern!r} after row {after} in the trail:\n{sentences}")


def test_the_auditor_reads_every_service_on_the_trail_in_order_with_names(
    platform: RunningPlatform, clients: dict[str, httpx.Client], nats_url: str
) -> None:
    registry, approval, archive = clients["registry"], clients["approval"], clients["archive"]
    unit, pid = planned_project(platform, registry, YUNAN, facts=PUBLIC)
    unit_officer = platform.headers(YUNAN, "unit_officer", unit=unit, name="陈主任")
    r = registry.post(f"/v1/projects/{pid}/submit", headers=unit_officer)
    assert r.status_code == 200, r.text
    wf = _approve(platform, approval, nats_url, pid)
    assert wf["state"] == "approved", wf
    wait_state(platform, registry, YUNAN, pid, "approved")
    archive_document(platform, YUNAN, pid, "acceptance_report")
    package = archive.post(f"/v1/projects/{pid}/packages", headers=unit_officer, json={})
    assert package.status_code == 201, package.text
    check = archive.post(
        f"/v1/packages/{package.json()['id']}/checks",
        headers=unit_officer,
        json={"stage": "archiving"},
    )
    assert check.status_code in (200, 201), check.text
    held = archive.post(
        f"/v1/projects/{pid}/archive-acceptance",
        headers=_named(platform, "bureau_officer", "赵科长"),
        json={"package_id": package.json()["id"]},
    )
    assert held.status_code == 201, held.text
    verdict = "已通过" if held.json()["outcome"] == "passed" else "未通过"

    def archived() -> bool:
        return any(e["sentence"].startswith("档案验收") for e in _trail(platform, registry, pid))

    eventually(archived, timeout=30)
    items = _trail(platform, registry, pid)
    times = [e["at"] for e in items]
    assert times == sorted(times)

    submitted = _first(items, r"^项目已申报")
    assert items[submitted]["actor"]["name"] == "陈主任"
    opinions = [_first(items, r"^专家意见已提交（同意）", submitted)]
    opinions.append(_first(items, r"^专家意见已提交（同意）", opinions[0]))
    assert {items[i]["actor"]["name"] for i in opinions} == {"李明", "王芳"}
    finance = _first(items, r"^财政资金审核已完成：同意", opinions[1])
    assert items[finance]["actor"]["roles"] == ["finance_officer"]
    assert ("核定金额", 640_000) in {(a["label"], a["amount"]) for a in items[finance]["amounts"]}
    approved = _first(items, r"^项目已立项", finance)
    packaged = _first(items, r"^归档信息包已生成（1份文件）", approved)
    assert items[packaged]["actor"]["name"] == "陈主任"
    checked = _first(items, r"^四性检测已完成（归档）", packaged)
    accepted = _first(items, rf"^档案验收{verdict}", checked)
    assert items[accepted]["actor"]["name"] == "赵科长"
    # The steps cite their articles, and nothing a person reads is a code.
    assert any(e["article"] and "条" in e["article"] for e in items)
    for e in items:
        assert not re.search(r"govproj|[a-z]+_[a-z]+", e["sentence"]), e["sentence"]

    # The console's trail page shows the same rows, with names, amounts and linked articles.
    with console_as(platform, YUNAN, "auditor", name="审计员") as console:
        page = console.get(f"/projects/{pid}/trail", follow_redirects=False)
    assert page.status_code == 200, page.text
    html = page.text
    for said in ("项目已申报", "李明", "王芳", "财政资金审核已完成", "64万元（640,000元）"):
        assert said in html, said
    assert "项目已立项" in html and f"档案验收{verdict}" in html and "赵科长" in html
    assert re.search(r'href="/policies/[^"#]+#第[^"]+条"', html)
    assert "govproj." not in html

    # Another county's auditor: the project does not exist for it.
    foreign = registry.get(f"/v1/projects/{pid}/trail", headers=platform.headers(POTOU, "auditor"))
    assert foreign.status_code == 404
    # A unit officer reads its project but not the audit trail.
    assert registry.get(f"/v1/projects/{pid}/trail", headers=unit_officer).status_code == 403
