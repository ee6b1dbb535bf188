"""The lifecycle steps issue 18 brought into the console, each taken by the role that takes it.

Every page here changes something through a form and, after the change, shows
the new state (POST-redirect-GET: the address is the page's own, with a notice);
a refusal is shown beside the form in Chinese. The projects are brought to the
step under test through the services' APIs, so each test starts where its
person starts.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform, eventually
from tests.browser.support import login, look, open_tab
from tests.integration import acceptance_support as acc
from tests.integration.workflow_support import planned_project
from tests.support.registry import archive_document, create_project, new_unit, wait_state

YUNAN, LAIZHOU, POTOU, PROVINCE = "445322", "370683", "440804", "440000"


@pytest.fixture(scope="module")
def clients(browser_platform: RunningPlatform) -> Any:
    services = ("registry", "approval", "budget", "acceptance", "archive")
    opened = {s: browser_platform.client(s) for s in services}
    yield {s: c.__enter__() for s, c in opened.items()}
    for c in opened.values():
        c.__exit__(None, None, None)


def _alert(page: Any) -> str:
    return str(page.inner_text("div.error[role=alert]"))


def _notice(page: Any) -> str:
    return str(page.inner_text("div.notice[role=status]"))


# A project taken through approval, procurement and completion over the API first (and,
# for the first test of the run, the platform's start): slower than the 300 s default
# on a loaded 2-core machine.
_WHOLE_PROJECT = pytest.mark.timeout(900)


def _unit_name(platform: RunningPlatform, registry: httpx.Client, tenant: str, unit: str) -> str:
    r = registry.get(f"/v1/units/{unit}", headers=platform.headers(tenant, "bureau_officer"))
    assert r.status_code == 200, r.text
    return str(r.json()["name"])


def _laizhou_accepted(platform: RunningPlatform, c: dict[str, httpx.Client]) -> str:
    """A completed 莱州 project the unit checks itself (第二十三条) and accepts: drawable (第三十四条)."""
    pid = acc.laizhou_project(platform, c)
    acc.accept_laizhou(platform, c, pid, date(2024, 5, 6))
    wait_state(platform, c["registry"], LAIZHOU, pid, "accepted")
    return pid


@_WHOLE_PROJECT
def test_the_unit_sees_its_contracts_and_asks_for_an_extension_the_bureau_grants(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    # 莱政办发〔2022〕6号 第二十三条第二款: not accepted within half a year → 延期验收申请.
    pid = acc.laizhou_project(browser_platform, clients)
    unit = new_page()
    name = _unit_name(browser_platform, clients["registry"], LAIZHOU, acc.UNITS[pid])
    login(unit, tenant=LAIZHOU, role="unit_officer", unit=name)
    open_tab(unit, pid, "implementation")
    records = unit.locator("#implementation table")
    records.wait_for()
    assert "公开招标" in unit.inner_text("#implementation")
    assert (
        "某信息技术有限公司" in records.inner_text()
        and "70万元（700,000元）" in records.inner_text()
    )
    assert unit.locator("#implementation a:has-text('查看合同文本')").count() == 1
    open_tab(unit, pid, "acceptance")  # built: its deadlines are the acceptance's
    # A new last day before the present one is the acceptance service's to refuse.
    unit.fill("#ext-until-acceptance_due", "2024-08-01")
    unit.fill("#ext-reason-acceptance_due", "第三方测评排期延后")
    unit.click("button:has-text('提交延期申请')")
    assert "延期后的期限须晚于当前期限 2024-09-04" in _alert(unit)
    assert unit.input_value("#ext-reason-acceptance_due") == "第三方测评排期延后"  # kept
    unit.fill("#ext-until-acceptance_due", "2030-06-30")
    unit.click("button:has-text('提交延期申请')")
    unit.wait_for_url(re.compile(rf"/projects/{pid}\?notice=extension$"))
    assert "延期申请已提交" in _notice(unit)
    assert "待审批" in unit.inner_text("section:has(#ext-h) table")
    look(unit, "40-extension-requested")

    bureau = new_page()
    login(bureau, tenant=LAIZHOU, role="bureau_officer")
    bureau.goto("/deadlines")
    pending = bureau.locator("section:has(#pending-h)")
    assert pending.locator(f"a[href='/projects/{pid}']").count() == 1
    form = pending.locator("form:has(textarea)").first
    form.locator("textarea").fill("同意延期验收")
    form.locator("button:has-text('提交审批')").click()
    assert "请选择审批结论" in _alert(bureau)  # the console asks before the service is called
    form = bureau.locator("section:has(#pending-h) form:has(textarea)").first
    form.locator("input[value=grant]").check()
    form.locator("textarea").fill("同意延期验收")
    form.locator("button:has-text('提交审批')").click()
    bureau.wait_for_url(re.compile(r"/deadlines\?notice=decided$"))
    assert "延期申请已审批" in _notice(bureau)
    row = bureau.locator(f"tr:has(a[href='/projects/{pid}']):has-text('验收期限')").first
    assert "2030-06-30（原 2024-09-04，已延期）" in row.inner_text()
    look(bureau, "41-deadlines-extension-granted")
    bureau.click("button:has-text('立即检查本辖区期限')")
    bureau.wait_for_url(re.compile(r"/deadlines\?notice=swept"))
    assert re.search(r"发出到期提醒 \d+ 条，逾期通知 \d+ 条", _notice(bureau))
    open_tab(unit, pid, "acceptance")
    assert "已同意延期" in unit.inner_text("section:has(#ext-h) table")
    assert "同意延期验收" in unit.inner_text("section:has(#ext-h) table")


@_WHOLE_PROJECT
def test_the_bureau_commits_and_makes_the_double_random_draw(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    # 第三十四条: post-evaluations are drawn 双随机, the seed committed before and revealed after.
    pid = _laizhou_accepted(browser_platform, clients)
    bureau = new_page()
    login(bureau, tenant=LAIZHOU, role="bureau_officer")
    bureau.goto("/draws")
    register = bureau.locator("section:has(#reg-h) table")
    assert register.locator(f"a[href='/projects/{pid}']").count() == 1
    assert "第三十四条" in register.inner_text()
    drawable = register.locator("tbody tr").count()
    bureau.fill("#draw-count", str(drawable + 5))
    bureau.fill("#draw-pool", "孙专家\n李专家\n周专家")
    bureau.fill("#draw-evaluators", "2")
    bureau.click("button:has-text('承诺抽取')")
    assert f"大于项目库数量 {drawable}" in _alert(bureau)
    bureau.fill(
        "#draw-count", str(drawable)
    )  # all of them: this project is drawn whatever the seed
    bureau.click("button:has-text('承诺抽取')")
    bureau.wait_for_url(re.compile(r"/draws\?notice=committed$"))
    assert "种子的摘要已公布" in _notice(bureau)
    assert "已承诺（种子未公开）" in bureau.inner_text("section:has(#draws-h)")
    look(bureau, "42-draw-committed")
    bureau.click("button:has-text('进行抽取')")
    bureau.wait_for_url(re.compile(r"/draws\?notice=drawn$"))
    drawn = bureau.inner_text("section:has(#draws-h)")
    assert "已抽取（种子已公开）" in drawn and "公开的种子" in drawn
    assert bureau.locator(f"section:has(#draws-h) a[href='/projects/{pid}']").count() == 1
    assert "按公开种子重算结果一致，种子与承诺相符" in drawn
    look(bureau, "43-draw-made")

    # Accepted, the project offers to enter its system into the 政务信息系统目录.
    unit = new_page()
    name = _unit_name(browser_platform, clients["registry"], LAIZHOU, acc.UNITS[pid])
    login(unit, tenant=LAIZHOU, role="unit_officer", unit=name)
    open_tab(unit, pid, "acceptance")
    unit.locator("#psys-name").wait_for()
    unit.fill("#psys-name", "")
    unit.click("form:has(#psys-name) button:has-text('登记系统')")
    assert "请填写系统名称" in _alert(unit)
    unit.locator("#psys-name").wait_for()
    system = f"莱州市城市治理平台{uuid.uuid4().hex[:4]}"
    unit.fill("#psys-name", system)
    unit.click("form:has(#psys-name) button:has-text('登记系统')")
    unit.wait_for_url(re.compile(rf"/projects/{pid}\?notice=system_registered$"))
    row = unit.locator(f"#project-systems tr:has-text('{system}')")
    row.wait_for()
    assert "运行中" in row.inner_text()
    look(unit, "44-project-system-registered")


def _yunan_under_review(platform: RunningPlatform, registry: httpx.Client) -> str:
    unit, pid = planned_project(platform, registry, YUNAN)
    acc.UNITS[pid] = unit
    acc.submit(platform, registry, YUNAN, pid)
    wait_state(platform, registry, YUNAN, pid, "under_review")
    return pid


def test_the_bureau_terminates_a_project_with_its_reason(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    pid = _yunan_under_review(browser_platform, clients["registry"])
    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    bureau.goto(f"/projects/{pid}")
    bureau.click("button:has-text('终止项目')")
    assert "请填写终止原因" in _alert(bureau)
    bureau.fill("#terminate-reason", "建设内容已并入全市统一平台")
    bureau.click("button:has-text('终止项目')")
    bureau.wait_for_url(re.compile(rf"/projects/{pid}\?notice=terminated$"))
    assert "项目已终止" in _notice(bureau)
    assert "已终止" in bureau.inner_text("h1")
    assert bureau.locator("button:has-text('终止项目')").count() == 0
    look(bureau, "45-project-terminated")
    open_tab(bureau, pid, "history")
    assert "建设内容已并入全市统一平台" in bureau.inner_text("section:has(#hist-h)")


@_WHOLE_PROJECT
def test_a_returned_review_lets_the_unit_replace_evidence_the_reviewer_then_opens(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    platform, c = browser_platform, clients
    pid = _yunan_under_review(platform, c["registry"])
    acc.run_workflow(platform, c["approval"], YUNAN, pid)
    wait_state(platform, c["registry"], YUNAN, pid, "approved")
    today = today_in_china()
    acc.build(platform, c["budget"], c["archive"], YUNAN, pid, started_on=today, signed_on=today)
    wait_state(platform, c["registry"], YUNAN, pid, "implementing")
    acc.complete(platform, c["acceptance"], YUNAN, pid, today)
    unit_headers = acc.unit_headers(platform, YUNAN, pid)
    r = c["acceptance"].post(f"/v1/projects/{pid}/review", headers=unit_headers, json={})
    assert r.status_code == 200, r.text
    item = next(
        i
        for i in r.json()["checklist"]
        if not i["archive_decision"] and i["gate"] == "review" and i["mandatory"]
    )
    doc_type = (item["doc_types"] or ["other"])[0]
    first = acc.upload(platform, c["archive"], YUNAN, pid, doc_type, "初版证明材料")
    second = acc.upload(platform, c["archive"], YUNAN, pid, doc_type, "补充后的证明材料")
    for doc in (first, second):
        acc.has_doc(platform, c["acceptance"], YUNAN, pid, doc)
    r = c["acceptance"].put(
        f"/v1/projects/{pid}/review/items/{item['code']}",
        headers=unit_headers,
        json={"evidence_document_ids": [first]},
    )
    assert r.status_code == 200, r.text
    r = c["acceptance"].post(
        f"/v1/projects/{pid}/review/decision",
        headers=platform.headers(YUNAN, "bureau_officer"),
        json={"outcome": "return", "opinion": "证明材料不完整，请补充。"},
    )
    assert r.status_code == 200, r.text
    wait_state(platform, c["registry"], YUNAN, pid, "completed")

    url = f"/projects/{pid}?tab=acceptance"
    unit = new_page()
    login(
        unit,
        tenant=YUNAN,
        role="unit_officer",
        unit=_unit_name(platform, c["registry"], YUNAN, acc.UNITS[pid]),
    )
    open_tab(unit, pid, "acceptance")
    assert "证明材料不完整，请补充。" in unit.inner_text("section:has(#acc-h)")  # why it came back
    unit.click("button:has-text('申请审核')")
    unit.wait_for_url(re.compile(rf"/projects/{pid}\?notice=review$"))
    eventually(lambda: "验收前置审核" in (unit.goto(url) and unit.inner_text("h1")), timeout=30)
    form = unit.locator(f"form:has(input[name=code][value={item['code']}])")
    assert "更换" in form.locator("legend").inner_text()  # the returned review's evidence is kept
    assert form.locator(f"input[value='{first}']").is_checked()
    form.locator(f"input[value='{first}']").uncheck()
    form.locator("button").click()
    assert "请至少选择一个证明文件" in _alert(unit)
    form = unit.locator(f"form:has(input[name=code][value={item['code']}])")
    form.locator(f"input[value='{first}']").uncheck()
    form.locator(f"input[value='{second}']").check()
    form.locator("button").click()
    unit.wait_for_url(re.compile(rf"/projects/{pid}\?notice=evidence$"))
    checklist = unit.locator("section:has(#acc-h) table").first
    assert "补充后的证明材料" in checklist.inner_text()
    assert "初版证明材料" not in checklist.inner_text()
    look(unit, "46-evidence-replaced")

    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    open_tab(bureau, pid, "acceptance")
    link = bureau.locator(f"section:has(#acc-h) a[href='/documents/{second}/content']")
    assert link.inner_text() == "补充后的证明材料"
    opened = bureau.request.get(link.get_attribute("href"))
    assert opened.status == 200 and opened.body().startswith(b"%PDF")
    look(bureau, "47-reviewer-sees-evidence")


def test_a_system_is_edited_put_into_operation_and_decommissioned_with_its_proof(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    unit = new_unit(browser_platform, clients["registry"], YUNAN)
    unit_name = _unit_name(browser_platform, clients["registry"], YUNAN, unit)
    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    bureau.goto("/catalog")
    system = f"郁南县不动产登记系统{uuid.uuid4().hex[:4]}"
    bureau.fill("#sys-name", system)
    bureau.select_option("#sys-unit", label=unit_name)
    bureau.click("form[action='/catalog'] button:has-text('登记')")
    bureau.wait_for_url(re.compile(r"/catalog\?registered="))
    assert f"系统“{system}”已登记" in _notice(bureau)
    bureau.click(f"a:has-text('{system}')")
    page_url = bureau.url
    # Someone else saves first: this page's version is stale, and the registry says so.
    other = new_page()
    login(other, tenant=YUNAN, role="bureau_officer")
    other.goto(page_url)
    other.fill("#sys-edit-desc", "由县政务和数据局统一运维")
    other.click("button:has-text('保存修改')")
    other.wait_for_url(re.compile(r"\?notice=updated$"))
    bureau.uncheck("form:has(#sys-edit-name) input[name=shares_data]")
    bureau.click("button:has-text('保存修改')")
    assert "已被他人修改" in _alert(bureau)
    bureau.goto(page_url)
    bureau.uncheck("form:has(#sys-edit-name) input[name=shares_data]")
    bureau.click("button:has-text('保存修改')")
    bureau.wait_for_url(re.compile(r"\?notice=updated$"))
    facts = bureau.inner_text("dl.facts")
    assert "按要求共享数据\n否" in facts and "由县政务和数据局统一运维" in facts
    bureau.click("form[action$='/operate'] button:has-text('投入运行')")
    bureau.wait_for_url(re.compile(r"\?notice=operating$"))
    assert "运行中" in bureau.inner_text("h1")
    look(bureau, "48-system-operating")
    # 停用 needs the disposition and an archived proof (莱州 第三十八条, the registry's check).
    bureau.fill("#dec-reason", "功能并入市级平台")
    bureau.click("button:has-text('停用系统')")
    assert "请选择数据处置方式" in _alert(bureau)
    proof = archive_document(browser_platform, YUNAN, "other")

    def decommissioned() -> bool:
        # The registry learns of the archived proof from the archive's event: until then it refuses.
        bureau.goto(page_url)
        bureau.check("input[name=disposition][value=migration]")
        bureau.select_option("#dec-evidence", proof)
        bureau.fill("#dec-reason", "功能并入市级平台")
        bureau.click("button:has-text('停用系统')")
        bureau.wait_for_load_state()
        return "notice=decommissioned" in bureau.url

    eventually(decommissioned, timeout=30, interval=1)
    assert "已停用" in bureau.inner_text("h1")
    facts = bureau.inner_text("dl.facts")
    assert "迁移数据，功能并入市级平台" in facts
    assert bureau.locator(f"a[href='/documents/{proof}/content']").count() == 1
    assert bureau.locator("button:has-text('停用系统')").count() == 0
    look(bureau, "49-system-decommissioned")


def test_the_bureau_registers_a_unit(new_page: Any) -> None:
    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    bureau.goto("/units")
    name = f"郁南县数据资源中心{uuid.uuid4().hex[:4]}"
    bureau.fill("#unit-name", name)
    bureau.fill("#unit-credit", "12445322OO0000000X")  # O is not a character of the code
    bureau.click("button:has-text('登记')")
    assert "不含I、O、Z、S、V" in _alert(bureau)
    bureau.fill("#unit-credit", "12445322MB2C12345X")
    bureau.click("button:has-text('登记')")
    bureau.wait_for_url(re.compile(r"/units\?registered=1$"))
    assert "建设单位已登记" in _notice(bureau)
    assert bureau.locator(f"tr:has-text('{name}')").inner_text().count("12445322MB2C12345X") == 1
    look(bureau, "50-units")
    bureau.fill("#unit-name", name)  # the same name twice: the registry refuses it
    bureau.click("button:has-text('登记')")
    assert f"建设单位已存在：单位名称：本辖区已有名为「{name}」的建设单位" in _alert(bureau)


def test_the_platform_administrator_adds_and_renames_a_jurisdiction(new_page: Any) -> None:
    admin = new_page()
    login(admin, tenant=PROVINCE, role="platform_admin")
    admin.goto("/admin")
    # Each county's pack in force is named beside it.
    yunan_row = admin.locator("tbody tr:has(td:text-is('445322'))")
    assert "郁南县" in yunan_row.inner_text() and "2024-08-17 起" in yunan_row.inner_text()
    potou_row = admin.locator("tbody tr:has(td:text-is('440804'))")
    assert "征求意见稿（未生效）" in potou_row.inner_text()  # a draft judges, provisionally
    admin.fill("#tenant-code", "445381")
    admin.fill("#tenant-name", "罗定市")
    admin.select_option("#tenant-level", "county")
    admin.click("button:has-text('新增')")
    assert "上级行政区划：县（市、区）级行政区划必须指定上级" in _alert(admin)
    admin.select_option("#tenant-parent", "445300")
    admin.click("button:has-text('新增')")
    admin.wait_for_url(re.compile(r"/admin\?notice=created$"))
    row = admin.locator("tbody tr:has(td:text-is('445381'))")
    assert "罗定市" in row.inner_text() and "云浮市" in row.inner_text()
    row.locator("input[name=name]").fill("罗定市（县级市）")
    row.locator("button:has-text('保存')").click()
    admin.wait_for_url(re.compile(r"/admin\?notice=renamed$"))
    assert "罗定市（县级市）" in admin.inner_text("tbody tr:has(td:text-is('445381'))")
    look(admin, "51-admin-tenants")


def test_the_bureau_records_the_procurement_limit_its_regulation_leaves_open(
    new_page: Any,
) -> None:
    # 坡头区 第十二条 names no 政府采购限额: the bureau records it with the document setting it.
    bureau = new_page()
    login(bureau, tenant=POTOU, role="bureau_officer")
    bureau.goto("/parameters")
    bureau.select_option("#param-name", "procurement_limit")
    bureau.fill("#param-value", "一百万")
    bureau.fill("#param-document", "坡政数〔2026〕1号")
    bureau.fill("#param-date", today_in_china().isoformat())
    bureau.fill("#param-from", "2036-01-01")  # far ahead: no other test's project is judged by it
    bureau.click("button:has-text('登记参数')")
    assert "请用阿拉伯数字填写" in _alert(bureau)
    bureau.fill("#param-value", "100万")
    bureau.click("button:has-text('登记参数')")
    bureau.wait_for_url(re.compile(r"/parameters\?notice=recorded$"))
    row = bureau.locator("tr:has-text('坡政数〔2026〕1号')")
    assert "政府采购限额" in row.inner_text() and "100万元（1,000,000元）" in row.inner_text()
    assert "第十二条" in row.inner_text()
    look(bureau, "52-parameters")
    for field, value in (
        ("#param-value", "120万"),
        ("#param-document", "坡政数〔2026〕2号"),
        ("#param-date", today_in_china().isoformat()),
        ("#param-from", "2036-01-01"),
    ):
        bureau.fill(field, value)
    bureau.click("button:has-text('登记参数')")
    assert "参数已设定：政府采购限额在该日期已有设定值" in _alert(bureau)


def test_the_named_authority_lifts_a_softened_rule_for_one_draft(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    # 坡头区 第八条第（一）项 “……原则上不予立项”: 区政务服务数据管理局 may decide otherwise.
    registry = clients["registry"]
    unit = new_unit(browser_platform, registry, POTOU)
    pid = create_project(
        browser_platform,
        registry,
        POTOU,
        unit,
        facts={
            "project_class": "professional",
            "service_types": ["operations_maintenance"],
            "amount": 300_000,
        },
        uncatalogued_systems=[{"name": "渔政执法系统", "relation": "operate"}],
    )["id"]
    bureau = new_page()
    login(bureau, tenant=POTOU, role="bureau_officer")
    open_tab(bureau, pid, "decision")
    form = bureau.locator("#exceptions form")
    form.wait_for()
    choice = form.locator("label:has-text('第八条第（一）项')")
    assert "区政务服务数据管理局" in choice.inner_text()
    choice.locator("input").check()
    bureau.fill("#exception-reason", "补录")
    bureau.click("button:has-text('决定例外')")
    assert "书面理由至少4个字" in _alert(bureau)
    bureau.locator("#exceptions label:has-text('第八条第（一）项') input").check()
    bureau.fill("#exception-reason", "该系统已报送补录政务信息系统目录，渔汛期执法保障不可中断")
    bureau.click("button:has-text('决定例外')")
    bureau.wait_for_url(re.compile(rf"/projects/{pid}\?notice=exception$"))
    assert "例外已决定" in _notice(bureau)
    granted = bureau.locator("#exceptions table")
    granted.wait_for()
    assert (
        "第八条第（一）项" in granted.inner_text()
        and "渔汛期执法保障不可中断" in granted.inner_text()
    )
    # Decided once: the rule is no longer offered for this project.
    assert bureau.locator("#exceptions label:has-text('第八条第（一）项')").count() == 0
    look(bureau, "53-exception-granted")
