"""A project's money after the finance review, in a real Chromium, through the console's pages only.

The project is planned, submitted and approved over the APIs (earlier lifecycle
steps); then each person does their part on the project page: the finance
office records the 预算安排, the unit officer budgets the lines (the warning
“尚未编报：第三方测试费用…” clears), moves money between them, records a payment
and reports the usage, and the bureau returns the surplus by the original channel.
A payment above a line's remainder is refused in Chinese and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform, eventually
from tests.browser.support import login, look, open_tab
from tests.integration import acceptance_support as acc
from tests.integration.workflow_support import planned_project, run_to_end, submit, workflow_of

YUNAN = "445322"
# Run first (or alone), a test here also waits for the whole platform to start and a
# project to be approved; on the shared 2-core machine that alone can take minutes.
pytestmark = pytest.mark.timeout(900)
SOFTWARE = {"project_class": "professional", "service_types": ["software_development"]}


@pytest.fixture(scope="module")
def registry(browser_platform: RunningPlatform) -> Iterator[httpx.Client]:
    with browser_platform.client("registry") as client:
        yield client


@pytest.fixture(scope="module")
def approved(browser_platform: RunningPlatform, registry: httpx.Client) -> dict[str, str]:
    """A Yunan project of 80万元 approved over the APIs (the steps before the money)."""
    unit, pid = planned_project(browser_platform, registry, YUNAN, facts=SOFTWARE)
    submit(browser_platform, registry, YUNAN, pid)
    with browser_platform.client("approval") as approval:
        wf = run_to_end(
            browser_platform, approval, YUNAN, workflow_of(browser_platform, approval, YUNAN, pid)
        )
    assert wf["state"] == "approved", wf
    auditor = browser_platform.headers(YUNAN, "auditor")
    with browser_platform.client("budget") as budget:
        eventually(
            lambda: (
                budget.get(f"/v1/projects/{pid}/budget", headers=auditor).json().get("status")
                == "approved"
            ),
            timeout=30,
        )
    name = registry.get(f"/v1/units/{unit}", headers=auditor).json()["name"]
    return {"pid": pid, "unit": unit, "unit_name": name}


def _budget(platform: RunningPlatform, pid: str) -> dict[str, Any]:
    with platform.client("budget") as budget:
        r = budget.get(f"/v1/projects/{pid}/budget", headers=platform.headers(YUNAN, "auditor"))
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found


def _submit(page: Any, button: str) -> None:
    """Press the form's button and land on the project page again (POST-redirect-GET)."""
    with page.expect_navigation():
        page.click(f"button:has-text('{button}')")


def _pick(page: Any, select: str, text: str) -> None:
    """Choose the option whose text starts with ``text`` (a line as people name it)."""
    options = page.locator(f"{select} option")
    for i in range(options.count()):
        if options.nth(i).inner_text().startswith(text):
            page.select_option(select, options.nth(i).get_attribute("value"))
            return
    raise AssertionError(f"{select}: no option {text!r} in {options.all_inner_texts()}")


def _ok(page: Any, notice: str) -> None:
    assert page.locator("div.error[role=alert]").count() == 0, page.inner_text("main")[:800]
    assert notice in page.inner_text("main")
    assert "notice=funds_" in page.url  # a GET after the POST: reloading sends nothing twice


def test_finance_unit_and_bureau_keep_the_projects_money_on_its_page(
    new_page: Any, approved: dict[str, str], browser_platform: RunningPlatform
) -> None:
    pid, year = approved["pid"], today_in_china().year
    today = today_in_china().isoformat()

    finance = new_page()
    login(finance, tenant=YUNAN, role="finance_officer")
    open_tab(finance, pid, "budget")
    assert finance.locator("#funds-h").count() == 1
    finance.fill("#arr-notice", f"郁财预〔{year}〕8号")
    finance.fill("#arr-year", str(year))
    finance.fill("#arr-amount", "75万")
    _submit(finance, "登记预算安排")
    _ok(finance, "预算安排已登记")
    row = finance.inner_text("#funds-arrangements")
    assert f"郁财预〔{year}〕8号" in row and "75万元（750,000元）" in row
    look(finance, "40-funds-arrangement")
    # Finance writes no lines: the unit's forms are not on its page.
    assert finance.locator("form[action$='/funds/line']").count() == 0

    unit = new_page()
    login(unit, tenant=YUNAN, role="unit_officer", unit=approved["unit_name"])
    open_tab(unit, pid, "budget")
    warning = unit.inner_text("#funds-outstanding")
    assert "尚未编报" in warning and "第三方测试费用" in warning and "第二十二条" in warning
    assert unit.locator("form[action$='/funds/arrangement']").count() == 0
    for kind, amount in (
        ("construction", "70万元"),
        ("third_party_testing", "50,000"),
        ("security_assessment", "30000"),
    ):
        unit.select_option("#line-kind", kind)
        unit.fill("#line-amount", amount)
        _submit(unit, "编报科目")
        _ok(unit, "预算科目已编报")
    assert unit.locator("#funds-outstanding").count() == 0  # every required line is budgeted
    lines = unit.inner_text("#funds-lines")
    assert "建设费用" in lines and "70万元（700,000元）" in lines and "5万元（50,000元）" in lines

    _pick(unit, "#adj-from", "建设费用")
    _pick(unit, "#adj-to", "第三方测试费用")
    unit.fill("#adj-amount", "2万")
    unit.fill("#adj-reason", "第三方测试范围扩大到移动端。")
    _submit(unit, "登记调整")
    _ok(unit, "资金调整已登记")
    assert "2万元（20,000元）" in unit.inner_text("#funds-adjustments")
    lines = unit.inner_text("#funds-lines")
    assert "68万元（680,000元）" in lines and "7万元（70,000元）" in lines

    _pick(unit, "#pay-line", "建设费用")
    unit.fill("#pay-amount", "200,000")
    unit.fill("#pay-date", today)
    unit.fill("#pay-voucher", f"ZF{year}-0001")
    _submit(unit, "登记支付")
    _ok(unit, "资金支付已登记")
    assert f"ZF{year}-0001" in unit.inner_text("#funds-disbursements")
    construction = unit.locator("#funds-lines tr:has-text('建设费用')").inner_text()
    # planned 68万, used 20万, remaining 48万
    assert "68万元" in construction and "20万元" in construction and "48万元" in construction

    unit.fill("#usage-start", f"{year}-01-01")
    unit.fill("#usage-end", today)
    unit.fill("#usage-narrative", "建设费用按合同进度支付首期款。")
    _submit(unit, "报告使用情况")
    _ok(unit, "资金使用情况已报告")
    assert "20万元（200,000元）" in unit.inner_text("#funds-usage-reports")
    look(unit, "41-funds-unit")

    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    open_tab(bureau, pid, "budget")
    bureau.fill("#surplus-amount", "1万元")
    bureau.fill("#surplus-voucher", f"TH{year}-0001")
    _submit(bureau, "登记退回")
    _ok(bureau, "结余资金已按原渠道退回")
    assert "1万元（10,000元）" in bureau.inner_text("#funds-surplus-returns")
    look(bureau, "42-funds-surplus")

    money = _budget(browser_platform, pid)
    assert (money["disbursed_total"], money["surplus_returned_total"], money["arranged_total"]) == (
        200_000,
        10_000,
        750_000,
    )
    assert money["missing_lines"] == [] and len(money["usage_reports"]) == 1

    # Finance's overview lists the project with what was arranged and paid, in one page.
    def listed() -> bool:
        finance.goto("/budget")
        row = finance.locator(f"tr:has(a[href='/projects/{pid}'])")
        return row.count() == 1 and "20万元（200,000元）" in row.inner_text()

    eventually(listed, timeout=20, interval=1)
    assert (
        "75万元（750,000元）" in finance.locator(f"tr:has(a[href='/projects/{pid}'])").inner_text()
    )
    look(finance, "43-funds-overview")


def test_a_payment_above_the_lines_remainder_is_refused_in_chinese_and_changes_nothing(
    new_page: Any, approved: dict[str, str], browser_platform: RunningPlatform
) -> None:
    pid = approved["pid"]
    unit = new_page()
    login(unit, tenant=YUNAN, role="unit_officer", unit=approved["unit_name"])
    open_tab(unit, pid, "budget")
    if unit.locator("#funds-lines").count() == 0:  # run alone: one line to pay from
        unit.select_option("#line-kind", "construction")
        unit.fill("#line-amount", "10万")
        _submit(unit, "编报科目")
    before = _budget(browser_platform, pid)
    line = next(x for x in before["lines"] if x["kind"] == "construction")

    unit.select_option("#pay-line", line["id"])
    unit.fill("#pay-amount", "100万")
    unit.fill("#pay-voucher", "ZF-OVER-1")
    _submit(unit, "登记支付")
    alert = unit.inner_text("#funds-error-disbursement")
    assert "超过建设费用的剩余" in alert and "100万元（1,000,000元）" in alert
    assert unit.input_value("#pay-amount") == "100万"  # what was typed is kept
    look(unit, "44-funds-over-cap")

    # An amount in Chinese numerals is refused before anything is sent.
    unit.fill("#pay-amount", "二十万")
    _submit(unit, "登记支付")
    assert "阿拉伯数字" in unit.inner_text("#funds-error-disbursement")

    # The budget service's own refusal (a voucher already used for another amount) shows there too.
    if before["disbursements"]:
        used = before["disbursements"][0]
        unit.select_option("#pay-line", used["line_id"])
        unit.fill("#pay-amount", "1")
        unit.fill("#pay-voucher", used["voucher_no"])
        _submit(unit, "登记支付")
        assert "凭证号已用于另一笔支付" in unit.inner_text("#funds-error-disbursement")

    after = _budget(browser_platform, pid)
    assert after["disbursements"] == before["disbursements"]
    assert after["disbursed_total"] == before["disbursed_total"]


def test_the_unit_names_the_finance_opinion_from_the_projects_files(
    new_page: Any, approved: dict[str, str], browser_platform: RunningPlatform
) -> None:
    # New fiscal funds are budgeted with the finance department's opinion, a project file.
    pid = approved["pid"]
    acc.UNITS[pid] = approved["unit"]
    title = f"财政评审意见{uuid.uuid4().hex[:4]}"
    with browser_platform.client("archive") as archive:
        acc.upload(browser_platform, archive, YUNAN, pid, "review_opinion", title)
    unit = new_page()
    login(unit, tenant=YUNAN, role="unit_officer", unit=approved["unit_name"])
    open_tab(unit, pid, "budget")
    assert title in unit.locator("#line-opinion option").all_inner_texts()
