"""The console as its people use it, in a real Chromium: issue 9's acceptance scenarios.

A unit officer of 郁南县 submits a project and reads the decision citing 第十条;
the bureau works it through the queue; the 云浮市 overseer finds it on the
dashboard while a 坡头区 officer cannot; a 20 MiB upload shows its progress and
ends in the archive. Every page is screenshotted and checked with axe-core.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform, eventually
from tests.browser.support import login, look
from tests.integration.workflow_support import run_to_end, workflow_of

YUNAN, YUNFU, POTOU, CHAOZHOU, XIANGQIAO = "445322", "445300", "440804", "445100", "445102"
YEAR = today_in_china().year + 2  # Yunan's demand window (11-30 of the year before) is still open


@pytest.fixture(scope="module")
def registry(browser_platform: RunningPlatform) -> Any:
    with browser_platform.client("registry") as client:
        yield client


@pytest.fixture(scope="module")
def yunan(browser_platform: RunningPlatform, registry: httpx.Client) -> dict[str, str]:
    """A Yunan unit with one demand item consolidated into the plan (what precedes a project)."""
    unit_name = f"郁南县测试局{uuid.uuid4().hex[:6]}"
    r = registry.post(
        "/v1/units",
        headers=browser_platform.headers(YUNAN, "bureau_officer"),
        json={"name": unit_name},
    )
    assert r.status_code == 201, r.text
    unit = r.json()["id"]
    r = registry.post(
        f"/v1/plans/{YEAR}/items",
        headers=browser_platform.headers(YUNAN, "unit_officer", unit=unit),
        json={
            "unit_id": unit,
            "name": "县域政务服务平台升级",
            "project_class": "professional",
            "amount": 800_000,
        },
    )
    assert r.status_code == 201, r.text
    item = r.json()["id"]
    r = registry.post(
        f"/v1/plans/{YEAR}/consolidate", headers=browser_platform.headers(YUNAN, "bureau_officer")
    )
    assert r.status_code == 200, r.text
    return {"unit": unit, "unit_name": unit_name, "item": item}


@pytest.fixture(scope="module")
def shared() -> dict[str, Any]:
    return {}


def _project_id(page: Any) -> str:
    m = re.search(r"/projects/([0-9a-f-]{36})", page.url)
    assert m, page.url
    return m.group(1)


def test_unit_officer_submits_a_yunan_project_and_reads_the_decision_citing_article_10(
    new_page: Any,
    yunan: dict[str, str],
    shared: dict[str, Any],
    registry: httpx.Client,
    browser_platform: RunningPlatform,
) -> None:
    page = new_page()
    login(
        page, tenant=YUNAN, role="unit_officer", unit=yunan["unit_name"], screenshot="00-dev-login"
    )
    look(page, "01-unit-home")
    page.click("text=新建项目 >> nth=0")
    page.fill("#name", "郁南县政务服务平台升级")
    with page.expect_response(lambda r: "/projects/demand-options" in r.url):
        page.fill("#year", str(YEAR))
        page.press("#year", "Tab")  # the plan's items of that year are fetched on change
    page.select_option("#demand_item_id", yunan["item"])
    page.check("input[name=project_class][value=professional]")
    page.check("input[name=service_types][value=software_development]")
    # A person's mistake first: an amount in Chinese numerals. The page says so in Chinese
    # (80万, 80万元, 800,000 and 800000 are all understood).
    page.fill("#amount", "八十万")
    page.click("button:has-text('保存草稿')")
    alert = page.locator("[role=alert]").first
    assert "总投资请用阿拉伯数字填写" in alert.inner_text()
    look(page, "02-project-form-error")
    listed = registry.get(
        "/v1/projects",
        params={"q": "郁南县政务服务平台升级"},
        headers=browser_platform.headers(YUNAN, "unit_officer"),
    )
    assert listed.json()["items"] == []  # nothing was created
    page.fill("#amount", "800000")
    page.fill("#software_amount", "800000")
    page.click("button:has-text('保存草稿')")
    page.wait_for_url(re.compile(r"/projects/[0-9a-f-]{36}\?notice=created"))
    assert "项目草稿已保存" in page.inner_text("[role=status]")
    look(page, "03-project-draft")
    pid = _project_id(page)
    page.click("button:has-text('申报')")
    # The decision arrives over NATS; the page polls and then shows it.
    page.wait_for_selector("text=管理方式：立项审批", timeout=30_000)
    decision = page.inner_text("#decision")
    assert "第十条" in decision and "郁府办〔2024〕21号" in decision
    assert "须报县政务和数据局立项" in decision
    assert "审核中" in page.inner_text("h1")
    look(page, "04-project-decision")
    # The citation leads to the article itself on the policy page.
    page.click("#decision .decision a.cite")
    page.wait_for_url(re.compile(r"/policies/yunan-2024"))
    assert "投资总额 50 万元以上（含）" in page.inner_text("section#第十条").replace("\n", "")
    look(page, "05-policy-article-10")
    shared["project"] = pid


def _submitted_project(
    shared: dict[str, Any],
    browser_platform: RunningPlatform,
    registry: httpx.Client,
    yunan: dict[str, str],
) -> str:
    """The project of the first test, or (run alone) one made the same way through the API."""
    if "project" in shared:
        return str(shared["project"])
    headers = browser_platform.headers(YUNAN, "unit_officer", unit=yunan["unit"])
    r = registry.post(
        "/v1/projects",
        headers=headers,
        json={
            "name": "郁南县政务服务平台升级",
            "unit_id": yunan["unit"],
            "year": YEAR,
            "demand_item_id": yunan["item"],
            "facts": {
                "project_class": "professional",
                "service_types": ["software_development"],
                "amount": 800_000,
                "software_amount": 800_000,
            },
        },
    )
    assert r.status_code == 201, r.text
    pid = str(r.json()["id"])
    assert registry.post(f"/v1/projects/{pid}/submit", headers=headers).status_code == 200
    eventually(
        lambda: (
            registry.get(f"/v1/projects/{pid}", headers=headers).json()["state"] == "under_review"
        ),
        timeout=30,
    )
    shared["project"] = pid
    return pid


def test_yunfu_overseer_sees_the_project_on_the_dashboard_and_a_potou_officer_cannot_find_it(
    new_page: Any,
    yunan: dict[str, str],
    shared: dict[str, Any],
    registry: httpx.Client,
    browser_platform: RunningPlatform,
) -> None:
    pid = _submitted_project(shared, browser_platform, registry, yunan)
    page = new_page()
    login(page, tenant=YUNFU, role="overseer")
    page.goto("/dashboard")
    counties = page.inner_text("table >> nth=0")
    assert "郁南县" in counties
    assert page.locator("svg[role=img]").count() >= 3
    look(page, "06-dashboard-city")
    page.click("a:has-text('郁南县')")
    page.wait_for_url(re.compile(r"county=445322"))
    assert "立项审批" in page.inner_text("main")
    page.click(f"a[href='/projects/{pid}']")
    page.click("nav.tabs a:has-text('判定')")
    assert "第十条" in page.inner_text("#decision")
    look(page, "07-dashboard-county-project")

    potou = new_page()
    login(potou, tenant=POTOU, role="bureau_officer")
    potou.goto("/projects?q=郁南县政务服务平台升级")
    assert "没有符合条件的项目" in potou.inner_text("main")
    look(potou, "08-potou-search")
    potou.goto(f"/projects/{pid}")
    assert "找不到" in potou.inner_text("h1")
    assert "找不到该对象" in potou.inner_text("[role=alert]") or "不存在" in potou.inner_text(
        "[role=alert]"
    )
    look(potou, "09-potou-not-found")
    # Nor is the Potou officer shown Yunan's decision on the dashboard (overseers only).
    potou.goto("/dashboard")
    assert "无权访问" in potou.inner_text("h1")


def test_a_20_mib_upload_shows_progress_and_ends_in_the_archive(
    new_page: Any,
    yunan: dict[str, str],
    shared: dict[str, Any],
    registry: httpx.Client,
    browser_platform: RunningPlatform,
    tmp_path: Path,
) -> None:
    pid = _submitted_project(shared, browser_platform, registry, yunan)
    payload = os.urandom(20 * 1024 * 1024)
    path = tmp_path / "可行性研究报告.bin"
    path.write_bytes(payload)
    page = new_page()
    login(page, tenant=YUNAN, role="unit_officer", unit=yunan["unit_name"])
    page.goto(f"/projects/{pid}?tab=archive")
    # A county office's uplink, not loopback: 10 MiB/s, so the bar has something to show.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": 10 * 1024 * 1024,
        },
    )
    page.evaluate(
        """() => { window.__progress = [];
        const bar = document.getElementById('upload-progress');
        new MutationObserver(() => window.__progress.push(bar.value)).observe(bar, {attributes: true});
        const status = document.querySelector('.upload-status');
        new MutationObserver(() => window.__progress.push(bar.value)).observe(status, {childList: true, characterData: true, subtree: true}); }"""
    )
    page.fill("#doc-title", "可行性研究报告")
    page.select_option("#doc-type", "feasibility_study")
    page.set_input_files("#doc-file", str(path))
    page.click("button:has-text('上传')")
    page.wait_for_selector(".upload-status[data-done]", timeout=60_000)
    seen = page.evaluate("window.__progress")
    assert any(0 < v < 100 for v in seen), seen  # the bar moved while the bytes were on their way
    assert "上传完成，已存入电子档案" in page.inner_text(".upload-status")
    page.wait_for_selector("#documents a:has-text('可行性研究报告')")
    look(page, "10-upload-done")
    with browser_platform.client("archive") as archive:
        docs = archive.get(
            "/v1/documents",
            params={"project_id": pid},
            headers=browser_platform.headers(YUNAN, "unit_officer"),
        ).json()
    (doc,) = [d for d in docs if d["title"] == "可行性研究报告"]
    assert doc["current_version"]["size"] == len(payload)
    assert doc["current_version"]["sha256"] == hashlib.sha256(payload).hexdigest()
    # The auditor's trail shows the upload beside the state changes, naming who did it.
    auditor = new_page()
    login(auditor, tenant=YUNAN, role="auditor")
    auditor.goto(f"/projects/{pid}/trail")
    trail = auditor.inner_text("main table")
    assert "上传文件《可行性研究报告》" in trail and "已按政策作出判定" in trail
    assert "govproj." not in trail and "registry:" not in trail
    look(auditor, "11-audit-trail")


def test_an_upload_the_archive_refuses_is_explained_in_chinese(
    new_page: Any,
    yunan: dict[str, str],
    shared: dict[str, Any],
    registry: httpx.Client,
    browser_platform: RunningPlatform,
    tmp_path: Path,
) -> None:
    pid = _submitted_project(shared, browser_platform, registry, yunan)
    page = new_page()
    login(page, tenant=YUNAN, role="unit_officer", unit=yunan["unit_name"])
    page.goto(f"/projects/{pid}?tab=archive")
    page.click("button:has-text('上传')")  # no file chosen
    assert "请选择要上传的文件" in page.inner_text(".upload-error")
    path = tmp_path / "x.txt"
    path.write_text("内容")
    page.fill("#doc-title", "   ")  # blank: the archive refuses it and says which field
    page.set_input_files("#doc-file", str(path))
    page.click("button:has-text('上传')")
    page.wait_for_selector(".upload-error:not([hidden])")
    message = page.inner_text(".upload-error")
    assert "输入数据不合法" in message and "题名" in message, message
    look(page, "12-upload-refused")


def test_bureau_keeps_the_annual_plan_and_the_catalog(new_page: Any, yunan: dict[str, str]) -> None:
    year = YEAR + 1
    unit = new_page()
    login(unit, tenant=YUNAN, role="unit_officer", unit=yunan["unit_name"])
    unit.goto(f"/plans/{year}")
    unit.fill("#dm-name", "智慧教育平台")
    unit.fill("#dm-amount", "三十万")
    unit.click("button:has-text('申报需求')")
    assert "预计总投资请用阿拉伯数字填写" in unit.inner_text("[role=alert]")
    unit.fill("#dm-amount", "300000")
    unit.click("button:has-text('申报需求')")
    assert "已申报" in unit.inner_text("[role=status]")
    look(unit, "13-plan-unit")
    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    bureau.goto(f"/plans/{year}")
    bureau.click("button:has-text('汇总形成年度建设计划')")
    assert "已汇总形成年度建设计划" in bureau.inner_text("[role=status]")
    assert "列入计划" in bureau.inner_text("main table")
    look(bureau, "14-plan-consolidated")
    bureau.goto("/catalog")
    bureau.fill("#sys-name", "郁南县政务服务一体化平台")
    bureau.click("button:has-text('登记')")
    assert "已登记" in bureau.inner_text("[role=status]")
    look(bureau, "15-catalog")


def test_policy_page_compares_two_jurisdictions_article_by_article(new_page: Any) -> None:
    page = new_page()
    login(page, tenant=CHAOZHOU, role="overseer")
    page.goto("/policies")
    assert "潮府办〔2020〕20号" in page.inner_text("main table")
    look(page, "16-policies")
    page.goto("/policies/diff?a=chaozhou-2020&b=xiangqiao-2020")
    heading = page.inner_text("main h2")
    assert "处差异" in heading
    look(page, "17-policy-diff")
    page.goto("/policies/diff?a=chaozhou-2020&b=yunan-2024")  # not a jurisdiction Chaozhou oversees
    assert "不属于您可见的辖区" in page.inner_text("[role=alert]")


def _open_step(browser_platform: RunningPlatform, pid: str) -> dict[str, Any] | None:
    with browser_platform.client("approval") as approval:
        wf = approval.get(
            f"/v1/projects/{pid}/workflow", headers=browser_platform.headers(YUNAN, "auditor")
        ).json()
    return next((s for s in wf["steps"] if s["state"] == "open"), None)


def _work_step(page: Any, pid: str, code: str) -> None:
    """From the queue, open this project's step and approve it with an opinion."""
    page.goto("/tasks")
    assert page.locator(f"tr:has(a[href='/projects/{pid}'])").count(), (
        code,
        page.inner_text("main"),
    )
    page.locator(f"tr:has(a[href='/projects/{pid}'])").first.locator("a:has-text('办理')").click()
    page.wait_for_url(re.compile(r"/steps/"))
    page.check("form:has(input[name=action][value=opinion]) input[name=outcome][value=approve]")
    page.fill(
        "form:has(input[name=action][value=opinion]) textarea[name=opinion]", f"同意（{code}）。"
    )
    if code == "finance_review":
        page.fill("#approved_amount", "750000")
    page.click("form:has(input[name=action][value=opinion]) button[type=submit]")
    page.wait_for_url(re.compile(r"/tasks\?done=1"))


def test_the_project_is_approved_through_the_queue_by_unit_bureau_experts_and_finance(
    new_page: Any,
    yunan: dict[str, str],
    shared: dict[str, Any],
    registry: httpx.Client,
    browser_platform: RunningPlatform,
) -> None:
    pid = _submitted_project(shared, browser_platform, registry, yunan)
    people = {
        "unit_officer": new_page(),
        "bureau_officer": new_page(),
        "finance_officer": new_page(),
        "expert": new_page(),
    }
    login(people["unit_officer"], tenant=YUNAN, role="unit_officer", unit=yunan["unit_name"])
    login(people["bureau_officer"], tenant=YUNAN, role="bureau_officer")
    login(people["finance_officer"], tenant=YUNAN, role="finance_officer")
    login(people["expert"], tenant=YUNAN, role="expert", user="expert-li")
    bureau = people["bureau_officer"]
    seen: list[str] = []
    for _ in range(12):
        step = _open_step(browser_platform, pid)
        if step is None:
            break
        code, page = step["code"], people[step["role"]]
        seen.append(code)
        if code == "expert_review":
            bureau.goto("/tasks")
            look(bureau, "18-queue-bureau")
            bureau.locator(f"tr:has(a[href='/projects/{pid}'])").first.locator(
                "a:has-text('办理')"
            ).click()
            # Concluding before any expert has spoken is refused, in Chinese, on the page.
            bureau.check(
                "form:has(input[name=action][value=opinion]) input[name=outcome][value=approve]"
            )
            bureau.fill(
                "form:has(input[name=action][value=opinion]) textarea[name=opinion]", "同意"
            )
            bureau.click("form:has(input[name=action][value=opinion]) button[type=submit]")
            assert "专家" in bureau.inner_text("div.error[role=alert]")
            look(bureau, "19-step-experts-missing")
            bureau.fill("#experts", "expert-li,李专家")
            bureau.click("button:has-text('指定专家')")
            bureau.wait_for_selector("main li:has-text('李专家')")
            expert = people["expert"]
            expert.goto("/tasks")
            assert "分配给我的评审" in expert.inner_text("main table")
            look(expert, "20-queue-expert")
            expert.locator(f"tr:has(a[href='/projects/{pid}'])").first.locator(
                "a:has-text('办理')"
            ).click()
            expert.check("input[name=conclusion][value=agree_with_changes]")
            expert.fill("#opinion", "建议压缩硬件采购。")
            look(expert, "21-expert-opinion")
            expert.click("button:has-text('提交评审意见')")
            expert.wait_for_url(re.compile(r"/tasks\?done=1"))
            _work_step(bureau, pid, code)
        else:
            _work_step(page, pid, code)
    assert seen[-1] == "approval_decision" and {"expert_review", "finance_review"} <= set(seen), (
        seen
    )
    eventually(
        lambda: (
            registry.get(
                f"/v1/projects/{pid}", headers=browser_platform.headers(YUNAN, "auditor")
            ).json()["state"]
            == "approved"
        ),
        timeout=30,
    )
    unit = people["unit_officer"]
    unit.goto(f"/projects/{pid}?tab=workflow")
    main = unit.inner_text("main")
    assert "已立项" in unit.inner_text("h1") and "立项批复" in main and "郁政数立〔" in main
    assert "核定 75万元" in main and "建议压缩硬件采购" in main
    look(unit, "22-project-approved")
    # The bureau reads each expert's opinion with the expert's name beside it.
    bureau.goto(f"/projects/{pid}?tab=workflow")
    assert "建议压缩硬件采购。（评审专家 李专家）" in bureau.inner_text("main")
    # Finance sees the linkage: what was asked, what it approved (budget service, by events).
    finance = people["finance_officer"]

    def linked() -> bool:
        finance.goto("/budget")
        return "75万元" in finance.inner_text(f"tr:has(a[href='/projects/{pid}'])")

    eventually(linked, timeout=30, interval=1)
    look(finance, "23-finance-budget")


def test_archive_packaging_and_the_four_properties_check_show_progress_and_their_verdict(
    new_page: Any,
    yunan: dict[str, str],
    shared: dict[str, Any],
    registry: httpx.Client,
    browser_platform: RunningPlatform,
) -> None:
    pid = _submitted_project(shared, browser_platform, registry, yunan)
    with browser_platform.client("archive") as archive:
        r = archive.post(
            "/v1/documents",
            headers=browser_platform.headers(YUNAN, "unit_officer", unit=yunan["unit"]),
            data={
                "title": "项目建设方案",
                "doc_type": "implementation_plan",
                "doc_date": today_in_china().isoformat(),
                "author_unit": yunan["unit_name"],
                "security_level": "non_secret",
                "retention_period": "permanent",
                "project_id": pid,
            },
            files={"file": ("方案.txt", "建设方案正文".encode(), "text/plain")},
        )
        assert r.status_code == 201, r.text
    page = new_page()
    login(page, tenant=YUNAN, role="bureau_officer")
    page.goto(f"/projects/{pid}?tab=archive")
    page.wait_for_selector("#archive button:has-text('生成归档信息包')")
    watch = """() => { window.__busy = [];
        new MutationObserver(() => window.__busy.push(document.getElementById('archive-busy')?.className))
          .observe(document.body, {attributes: true, subtree: true, attributeFilter: ['class']}); }"""
    page.evaluate(watch)
    page.click("#archive button:has-text('生成归档信息包')")
    page.wait_for_selector("#archive table")
    assert any("htmx-request" in (c or "") for c in page.evaluate("window.__busy"))
    page.click("#archive button:has-text('四性检测') >> nth=0")
    page.wait_for_selector("#check-report", timeout=60_000)
    report = page.inner_text("#check-report")
    assert "四性检测（移交与接收）" in report and "档案验收条件" in report
    assert "真实性" in report and "完整性" in report
    look(page, "24-archive-check")


def _until(page: Any, url: str, text: str, where: str = "h1") -> None:
    """Reload until ``text`` shows (the registry follows the other services by events)."""

    def shows() -> bool:
        page.goto(url)
        return text in page.inner_text(where)

    eventually(shows, timeout=30, interval=0.5)


def test_the_approved_project_is_procured_built_and_sent_to_pre_acceptance_review(
    new_page: Any,
    yunan: dict[str, str],
    shared: dict[str, Any],
    registry: httpx.Client,
    browser_platform: RunningPlatform,
) -> None:
    # The project the queue test approved; run alone (or after that test failed), the
    # same project is approved through the API so this test still runs on its own.
    pid = _submitted_project(shared, browser_platform, registry, yunan)
    headers = browser_platform.headers(YUNAN, "auditor")
    if registry.get(f"/v1/projects/{pid}", headers=headers).json()["state"] != "approved":
        with browser_platform.client("approval") as approval:
            run_to_end(
                browser_platform,
                approval,
                YUNAN,
                workflow_of(browser_platform, approval, YUNAN, pid),
            )
        eventually(
            lambda: (
                registry.get(f"/v1/projects/{pid}", headers=headers).json()["state"] == "approved"
            ),
            timeout=30,
        )
    with browser_platform.client("archive") as archive:
        r = archive.post(
            "/v1/documents",
            headers=browser_platform.headers(YUNAN, "unit_officer", unit=yunan["unit"]),
            data={
                "title": "政务服务平台升级合同",
                "doc_type": "contract",
                "doc_date": today_in_china().isoformat(),
                "author_unit": yunan["unit_name"],
                "security_level": "non_secret",
                "retention_period": "permanent",
                "project_id": pid,
            },
            files={"file": ("合同.txt", "合同正文".encode(), "text/plain")},
        )
        assert r.status_code == 201, r.text
    url = f"/projects/{pid}?tab=implementation"
    unit = new_page()
    login(unit, tenant=YUNAN, role="unit_officer", unit=yunan["unit_name"])
    unit.goto(url)
    unit.select_option("#method", "public_tender")
    unit.click("button:has-text('启动采购')")
    # POST-redirect-GET: the page after the action already shows the new state.
    assert "采购中" in unit.inner_text("h1") and "已启动采购" in unit.inner_text("[role=status]")
    unit.fill("#supplier", "云浮数字科技有限公司")
    unit.fill("#contract-amount", "七十四万")
    unit.click("button:has-text('登记合同')")
    assert "合同金额请用阿拉伯数字填写" in unit.inner_text("div.error[role=alert]")
    unit.fill("#contract-amount", "740000")
    unit.click("button:has-text('登记合同')")
    assert unit.locator("div.error[role=alert]").count() == 0, unit.inner_text("main")[:500]
    _until(unit, url, "实施中")
    look(unit, "25-implementing")
    # A completion date in the future is the acceptance service's to refuse; the page says why.
    unit.fill("#completed_on", f"{today_in_china().year + 1}-01-01")
    unit.click("button:has-text('申报建成')")
    assert "不得晚于今天" in unit.inner_text("div.error[role=alert]")
    unit.fill("#completed_on", today_in_china().isoformat())
    unit.click("button:has-text('申报建成')")
    # The page after the action shows its result: the new state, and the next step's tab.
    assert "已完工" in unit.inner_text("h1")
    url = f"/projects/{pid}?tab=acceptance"
    unit.click("button:has-text('申请审核')")
    _until(unit, url, "验收前置审核")
    assert "验收前置审核清单" in unit.inner_text("main")
    look(unit, "26-pre-acceptance-unit")
    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    bureau.goto("/tasks")
    look(bureau, "27-queue-pre-acceptance")
    bureau.locator(f"tr:has(a[href='/projects/{pid}'])").first.locator("a:has-text('审核')").click()
    bureau.check("input[name=outcome][value=return]")
    bureau.fill("#review-opinion", "请补充第三方测试报告。")
    look(bureau, "28-pre-acceptance-bureau")
    bureau.click("button:has-text('提交结论')")
    _until(bureau, url, "已完工")  # returned: the unit completes the evidence and asks again


def _filed_through_the_api(platform: RunningPlatform, registry: httpx.Client, tenant: str) -> str:
    """A county project planned, submitted and filed, every step answered over the API."""
    bureau = platform.headers(tenant, "bureau_officer")
    unit = registry.post(
        "/v1/units", headers=bureau, json={"name": f"测试单位{uuid.uuid4().hex[:6]}"}
    ).json()["id"]
    r = registry.post(
        f"/v1/plans/{YEAR}/items",
        headers=platform.headers(tenant, "unit_officer", unit=unit),
        json={
            "unit_id": unit,
            "name": "教育信息化平台",
            "project_class": "professional",
            "amount": 800_000,
        },
    )
    assert r.status_code == 201, r.text
    item = r.json()["id"]
    for _ in range(50):
        r = registry.post(f"/v1/plans/{YEAR}/consolidate", headers=bureau)
        # Under load a 201 was once followed by a 404 here (read after write; reported to
        # the lead): wait for the plan row rather than fail the console's test on it.
        if r.status_code != 404:
            break
        time.sleep(0.1)
    assert r.status_code == 200, r.text
    facts = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
        "software_amount": 800_000,
    }
    body = {
        "name": "湘桥区教育信息化平台",
        "unit_id": unit,
        "year": YEAR,
        "demand_item_id": item,
        "facts": facts,
    }
    pid = str(
        registry.post(
            "/v1/projects", headers=platform.headers(tenant, "unit_officer", unit=unit), json=body
        ).json()["id"]
    )
    assert (
        registry.post(
            f"/v1/projects/{pid}/submit",
            headers=platform.headers(tenant, "unit_officer", unit=unit),
        ).status_code
        == 200
    )
    with platform.client("approval") as approval:
        wf: dict[str, Any] = {}

        def opened() -> bool:
            r = approval.get(f"/v1/projects/{pid}/workflow", headers=bureau)
            wf.update(r.json() if r.status_code == 200 else {})
            return r.status_code == 200

        eventually(opened, timeout=30)
        while wf["state"] == "open":
            (step,) = [s for s in wf["steps"] if s["state"] == "open"]
            if step["code"] == "expert_review":
                experts = [{"user": "expert-zhang", "name": "张专家"}]
                assert (
                    approval.put(
                        f"/v1/steps/{step['step_id']}/experts",
                        headers=bureau,
                        json={"experts": experts},
                    ).status_code
                    == 200
                )
                r = approval.post(
                    f"/v1/steps/{step['step_id']}/expert-opinions",
                    headers=platform.headers(tenant, "expert", user="expert-zhang"),
                    json={"conclusion": "agree", "opinion": "同意。"},
                )
                assert r.status_code == 200, r.text
            # A unit's own step is answered by that unit's officer (its unit claim).
            claim = {"unit": unit} if step["role"] == "unit_officer" else {}
            r = approval.post(
                f"/v1/steps/{step['step_id']}/opinions",
                headers=platform.headers(tenant, step["role"], **claim),
                json={"outcome": "approve", "opinion": "同意。"},
            )
            assert r.status_code == 200, r.text
            wf = r.json()
    assert wf["state"] == "filed", wf
    return pid


def test_the_city_acknowledges_a_county_filing_reported_up_from_its_queue(
    new_page: Any, registry: httpx.Client, browser_platform: RunningPlatform
) -> None:
    # 潮府办〔2020〕20号 第十四条: a county reports its 立项/备案 result to the city.
    pid = _filed_through_the_api(browser_platform, registry, XIANGQIAO)
    city = new_page()
    login(city, tenant=CHAOZHOU, role="overseer")

    def reported() -> bool:
        city.goto("/tasks")
        return city.locator(f"tr:has(a[href='/projects/{pid}'])").count() == 1

    eventually(reported, timeout=30, interval=1)
    row = city.locator(f"tr:has(a[href='/projects/{pid}'])")
    assert "第十四条" in row.inner_text() and "湘政数备〔" in row.inner_text()
    assert "湘桥区教育信息化平台" in row.inner_text()
    look(city, "29-city-reports")
    row.locator("button:has-text('确认收到')").click()
    city.wait_for_url(re.compile(r"/tasks\?done=1"))
    assert city.locator(f"tr:has(a[href='/projects/{pid}'])").count() == 0
    # A sibling county's officer finds nothing of it.
    chaoan = new_page()
    login(chaoan, tenant="445103", role="bureau_officer")
    chaoan.goto(f"/projects/{pid}")
    assert "找不到" in chaoan.inner_text("h1")
