"""A project's whole life through the console's pages, one small step per function.

Each step is taken by the person whose step it is, on the page they use, and
waits (generously: the services follow each other by events, and the machine
may be loaded) until the page shows the step's result. Nothing here calls a
service's API: a test built from these steps is what a jurisdiction's people
would do in their browsers. ``Walk`` carries the project and one logged-in
browser page per person.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import eventually
from services.archive.tests import samples
from tests.browser.support import login, look

# The services answer each other by events: a page may take a while to show a step's result.
SETTLE = 120
# Packaging, 四性检测 and 档案验收 re-read and scan every file: minutes on a loaded machine.
SLOW_MS = 300_000
# Plan years of their own: other browser tests consolidate theirs in the same jurisdictions.
_plan_years = itertools.count(today_in_china().year + 60)


@dataclass
class Walk:
    """One project on its way, and the people (a browser page each) who carry it."""

    tenant: str
    new_page: Callable[[], Any]
    files: Path
    shot: str  # screenshot prefix
    unit_name: str = ""
    pid: str = ""
    people: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"/projects/{self.pid}"

    def tab(self, name: str) -> str:
        """The project page's tab (概况 overview, 审核 workflow, 资金 budget, 实施 implementation,
        验收 acceptance, 档案 archive)."""
        return f"/projects/{self.pid}?tab={name}"

    def person(self, role: str, user: str | None = None) -> Any:
        """The page of someone in ``role`` (logged in once, on first use)."""
        key = user or role
        if key not in self.people:
            page = self.new_page()
            page.set_default_timeout(60_000)
            unit = self.unit_name if role == "unit_officer" else None
            login(page, tenant=self.tenant, role=role, unit=unit, user=user)
            self.people[key] = page
        return self.people[key]

    def look(self, page: Any, name: str) -> None:
        look(page, f"{self.shot}-{name}")


def _alert_free(page: Any) -> None:
    assert page.locator("div.error[role=alert]").count() == 0, page.inner_text("main")[:1500]


def _until(page: Any, url: str, text: str, where: str = "main") -> None:
    """Reload ``url`` until ``text`` shows in ``where``."""

    def shows() -> bool:
        page.goto(url)
        return text in page.inner_text(where)

    eventually(shows, timeout=SETTLE, interval=1)


def _until_row(page: Any, url: str, href: str) -> None:
    """Reload ``url`` (a queue) until it lists the project linked as ``href``."""

    def listed() -> bool:
        page.goto(url)
        return bool(page.locator(f"tr:has(a[href='{href}'])").count())

    eventually(listed, timeout=SETTLE, interval=1)


def _post(page: Any, button: str) -> None:
    """Press a form's button and land on the page the console sends us to (POST-redirect-GET)."""
    with page.expect_navigation():
        page.click(button)
    _alert_free(page)


# ---- the unit and its plan ---------------------------------------------------------


def register_unit(walk: Walk) -> None:
    """The bureau registers the building unit on /units (its officer then logs in as it)."""
    walk.unit_name = f"{walk.shot}测试单位{uuid.uuid4().hex[:6]}"
    bureau = walk.person("bureau_officer")
    bureau.goto("/units")
    bureau.fill("#unit-name", walk.unit_name)
    _post(bureau, "form:has(#unit-name) button:has-text('登记')")
    assert walk.unit_name in bureau.inner_text("main")


def plan_demand(walk: Walk, name: str, amount: str) -> int:
    """The unit declares its demand on the annual plan; the bureau consolidates the plan."""
    year = next(_plan_years)
    unit = walk.person("unit_officer")
    unit.goto(f"/plans/{year}")
    unit.fill("#dm-name", name)
    unit.fill("#dm-amount", amount)
    _post(unit, "button:has-text('申报需求')")
    assert "已申报" in unit.inner_text("[role=status]")
    bureau = walk.person("bureau_officer")
    bureau.goto(f"/plans/{year}")
    _post(bureau, "button:has-text('汇总形成年度建设计划')")
    assert "列入计划" in bureau.inner_text("main table")
    walk.look(bureau, "01-plan")
    return year


# ---- the project ------------------------------------------------------------------


def create_project(
    walk: Walk,
    *,
    name: str,
    year: int,
    amount: str,
    demand: str | None = None,
    crypto: bool = False,
    mandated: bool = False,
) -> None:
    """The unit officer fills in the new-project form and saves the draft."""
    unit = walk.person("unit_officer")
    unit.goto("/projects/new")
    unit.fill("#name", name)
    with unit.expect_response(lambda r: "/projects/demand-options" in r.url):
        unit.fill("#year", str(year))
        unit.press("#year", "Tab")  # the plan's items of that year are fetched on change
    if demand:
        # The response is in; htmx swaps the field in a moment later.
        unit.wait_for_selector(f"#demand_item_id option:has-text('{demand}')", state="attached")
        options = unit.locator("#demand_item_id option")
        value = next(
            options.nth(i).get_attribute("value")
            for i in range(options.count())
            if demand in options.nth(i).inner_text()
        )
        unit.select_option("#demand_item_id", value)
    unit.check("input[name=project_class][value=professional]")
    unit.check("input[name=service_types][value=software_development]")
    unit.fill("#amount", amount)
    unit.fill("#software_amount", amount)
    if crypto:
        unit.check("input[name=uses_crypto]")
    if mandated:
        unit.check("input[name=mandated]")
    unit.click("button:has-text('保存草稿')")
    unit.wait_for_url(re.compile(r"/projects/[0-9a-f-]{36}\?notice=created"))
    m = re.search(r"/projects/([0-9a-f-]{36})", unit.url)
    assert m, unit.url
    walk.pid = m.group(1)
    walk.look(unit, "02-draft")


def submit(walk: Walk, *, on: str | None = None) -> str:
    """The unit submits; the page shows the policy's decision (returned, to check its article)."""
    unit = walk.person("unit_officer")
    unit.goto(walk.url)
    if on:
        unit.fill("#submit-on", on)
    unit.click("button:has-text('申报')")
    unit.wait_for_selector("#decision .decision", timeout=SETTLE * 1000)
    walk.look(unit, "03-decision")
    return str(unit.inner_text("#decision"))


def _expert_review(walk: Walk, bureau: Any) -> None:
    """The bureau names an expert on the step; the expert gives the opinion from their queue."""
    if bureau.locator("main li:has-text('吴专家')").count() == 0:
        bureau.fill("#experts", "expert-wu,吴专家")
        bureau.click("button:has-text('指定专家')")
        bureau.wait_for_selector("main li:has-text('吴专家')")
    expert = walk.person("expert", user="expert-wu")
    _until_row(expert, "/tasks", walk.url)
    expert.locator(f"tr:has(a[href='{walk.url}'])").first.locator("a:has-text('办理')").click()
    expert.check("input[name=conclusion][value=agree]")
    expert.fill("#opinion", "方案可行，同意。")
    walk.look(expert, "04-expert")
    expert.click("button:has-text('提交评审意见')")
    expert.wait_for_url(re.compile(r"/tasks\?done=1"), timeout=60_000)


def _answer_step(walk: Walk, page: Any, role: str) -> str:
    """Open the project's step from this person's queue and approve it with an opinion."""
    page.locator(f"tr:has(a[href='{walk.url}'])").first.locator("a:has-text('办理')").click()
    page.wait_for_url(re.compile(r"/steps/"))
    step = page.inner_text("main h1")
    if page.locator("#experts").count():
        _expert_review(walk, page)
        page.reload()
    opinion = "form:has(input[name=action][value=opinion])"
    page.check(f"{opinion} input[name=outcome][value=approve]")
    page.fill(f"{opinion} textarea[name=opinion]", "同意。")
    page.click(f"{opinion} button[type=submit]")
    page.wait_for_url(re.compile(r"/tasks\?done=1"), timeout=60_000)
    return f"{role}: {step}"


REVIEWERS = ("unit_officer", "bureau_officer", "crypto_officer", "finance_officer")


def work_the_queue(walk: Walk, *, done: tuple[str, ...] = ("已立项", "已备案")) -> list[str]:
    """Each reviewer in turn finds the project in /tasks and answers its step, until it is decided."""
    seen: list[str] = []

    def decided() -> bool:
        unit = walk.person("unit_officer")
        unit.goto(walk.url)
        if any(state in unit.inner_text("h1") for state in done):
            return True
        for role in REVIEWERS:
            page = walk.person(role)
            page.goto("/tasks")
            if page.locator(f"tr:has(a[href='{walk.url}']) a:has-text('办理')").count():
                seen.append(_answer_step(walk, page, role))
                return False
        return False

    eventually(decided, timeout=SETTLE * 6, interval=1)
    walk.look(walk.person("unit_officer"), "05-decided")
    return seen


def read_the_official_document(walk: Walk, name: str) -> None:
    """The 立项批复/备案 as a 公文: the print view and the archived PDF, both linked from the page."""
    unit = walk.person("unit_officer")
    _until(unit, walk.tab("workflow"), "查看公文（打印）")
    unit.click("a:has-text('查看公文（打印）')")
    unit.wait_for_url(re.compile(r"/approval-document$"))
    assert name in unit.inner_text("body")
    walk.look(unit, "06-official")
    unit.goto(walk.tab("workflow"))
    pdf = unit.locator("a:has-text('下载 PDF')").get_attribute("href")

    def filed() -> bool:
        r = unit.request.get(pdf)
        return bool(r.status == 200 and r.body().startswith(b"%PDF"))

    eventually(filed, timeout=SETTLE, interval=1)


# ---- documents, procurement, contract ------------------------------------------------


def upload(walk: Walk, title: str, doc_type: str, role: str = "unit_officer") -> None:
    """Upload a project file on the project page (it is archived, then offered to the forms)."""
    page = walk.person(role)
    page.goto(walk.tab("archive"))
    # A real PDF: 档案验收 identifies each file's format from its content.
    path = walk.files / f"{uuid.uuid4().hex[:8]}.pdf"
    path.write_bytes(samples.pdf())
    page.fill("#doc-title", title)
    page.select_option("#doc-type", doc_type)
    page.set_input_files("#doc-file", str(path))
    page.click("button:has-text('上传')")
    page.wait_for_selector(".upload-status[data-done]", timeout=SLOW_MS)
    assert "已存入电子档案" in page.inner_text(".upload-status")
    # The list reloads itself after the upload (its own request: the page is not reloaded).
    page.wait_for_selector(f"#documents a:has-text('{title}')", timeout=SLOW_MS)


def procure_and_contract(walk: Walk, *, started_on: str, signed_on: str) -> None:
    """The unit starts procurement and records the contract with its archived text."""
    unit = walk.person("unit_officer")
    upload(walk, "建设合同", "contract")
    unit.goto(walk.tab("implementation"))
    unit.select_option("#method", "public_tender")
    unit.fill("#started_on", started_on)
    _post(unit, "button:has-text('启动采购')")
    _until(unit, walk.tab("implementation"), "登记合同")
    unit.fill("#supplier", "某信息技术有限公司")
    unit.fill("#contract-amount", "70万")
    unit.fill("#signed_on", signed_on)
    _pick(unit, "#contract-doc", "建设合同")
    _post(unit, "button:has-text('登记合同')")
    _until(unit, walk.url, "实施中", "h1")
    _until(unit, walk.tab("implementation"), "某信息技术有限公司", "#implementation")
    walk.look(unit, "07-implementing")


def _pick(page: Any, select: str, text: str) -> None:
    """Choose the option whose text starts with ``text``."""
    options = page.locator(f"{select} option")
    for i in range(options.count()):
        if options.nth(i).inner_text().startswith(text):
            page.select_option(select, options.nth(i).get_attribute("value"))
            return
    raise AssertionError(f"{select}: no option {text!r} in {options.all_inner_texts()}")


# ---- money -------------------------------------------------------------------------


def finance(walk: Walk, *, notice_no: str, year: int, paid_on: str) -> None:
    """Finance records the 预算安排; the unit budgets its lines, pays once and reports the usage."""
    fin = walk.person("finance_officer")
    _until(fin, walk.tab("budget"), "登记预算安排")
    fin.fill("#arr-notice", notice_no)
    fin.fill("#arr-year", str(year))
    fin.fill("#arr-amount", "70万")
    _post(fin, "button:has-text('登记预算安排')")
    assert notice_no in fin.inner_text("#funds-arrangements")
    unit = walk.person("unit_officer")
    unit.goto(walk.tab("budget"))
    kinds = unit.locator("#line-kind option").evaluate_all("os => os.map(o => o.value)")
    for kind, amount in (
        ("construction", "60万"),
        ("third_party_testing", "5万"),
        ("security_assessment", "5万"),
    ):
        if kind in kinds:
            unit.select_option("#line-kind", kind)
            unit.fill("#line-amount", amount)
            _post(unit, "button:has-text('编报科目')")
    _pick(unit, "#pay-line", "建设费用")
    unit.fill("#pay-amount", "20万")
    unit.fill("#pay-date", paid_on)
    unit.fill("#pay-voucher", f"ZF-{walk.pid[:8]}")
    _post(unit, "button:has-text('登记支付')")
    assert f"ZF-{walk.pid[:8]}" in unit.inner_text("#funds-disbursements")
    unit.fill("#usage-start", f"{paid_on[:4]}-01-01")
    unit.fill("#usage-end", paid_on)
    unit.fill("#usage-narrative", "按合同进度支付首期款。")
    _post(unit, "button:has-text('报告使用情况')")
    assert "20万元（200,000元）" in unit.inner_text("#funds-usage-reports")
    walk.look(unit, "08-funds")


# ---- completion and the pre-acceptance review -----------------------------------------


def complete(walk: Walk, *, on: str) -> None:
    unit = walk.person("unit_officer")
    unit.goto(walk.tab("implementation"))
    unit.fill("#completed_on", on)
    _post(unit, "button:has-text('申报建成')")
    _until(unit, walk.url, "已完工", "h1")


def request_review(walk: Walk) -> None:
    """The unit asks for the pre-acceptance review (符合性审查) and names evidence for each item."""
    unit = walk.person("unit_officer")
    unit.goto(walk.tab("acceptance"))
    _post(unit, "button:has-text('申请审核')")
    _until(unit, walk.url, "验收前置审核", "h1")


# The files a unit gathers before acceptance (title, 文件类型), and which checklist item each proves.
EVIDENCE = (
    ("监理报告", "supervision_report"),
    ("第三方测试报告", "test_report"),
    ("安全测评报告", "security_assessment_report"),
    ("密码应用安全性评估报告", "crypto_assessment_report"),
    ("政务数据资源目录", "other"),
    ("IPv6支持情况说明", "other"),
    ("项目验收报告", "acceptance_report"),
)
_PROVES = (
    ("密码", "密码应用安全性评估报告"),
    ("监理", "监理报告"),
    ("安全", "安全测评报告"),
    ("等级保护", "安全测评报告"),
    ("测试", "第三方测试报告"),
    ("测评", "第三方测试报告"),
    ("数据资源", "政务数据资源目录"),
    ("IPv6", "IPv6支持情况说明"),
    ("验收报告", "项目验收报告"),
)


def gather_evidence(walk: Walk) -> None:
    for title, doc_type in EVIDENCE:
        upload(walk, title, doc_type)


def name_evidence(walk: Walk) -> list[str]:
    """For each checklist item still without proof, the unit names the file that proves it.

    Returns the items' labels as the page names them.
    """
    unit = walk.person("unit_officer")
    unit.goto(walk.tab("acceptance"))
    forms = "form[action$='/actions/evidence']"
    legends = unit.locator(f"{forms} legend").all_inner_texts()
    named = []
    for legend in legends:
        if not legend.startswith("指定"):
            continue
        label = legend.split("“", 1)[1].split("”", 1)[0]
        title = next((t for key, t in _PROVES if key in label), None)
        assert title, f"no file of ours proves {label!r}"

        def named_it(label: str = label, title: str = title) -> bool:
            # The acceptance service hears of an archived file by event: until then it refuses it.
            unit.goto(walk.tab("acceptance"))
            form = unit.locator(f"{forms}:has(legend:has-text('“{label}”'))").first
            form.locator(f"label:has-text('{title}') input").first.check()
            with unit.expect_navigation():
                form.locator("button").click()
            return unit.locator("div.error[role=alert]").count() == 0

        eventually(named_it, timeout=SETTLE, interval=2)
        named.append(label)
    walk.look(unit, "10-evidence")
    return named


def missing_items(walk: Walk) -> list[str]:
    """The checklist items the page still shows as 缺."""
    page = walk.person("bureau_officer")
    page.goto(walk.tab("acceptance"))
    rows = page.locator("section:has(#acc-h) table").first.locator("tbody tr")
    return [
        rows.nth(i).locator("td").first.inner_text()
        for i in range(rows.count())
        if "缺" in rows.nth(i).inner_text()
    ]


def pass_review(walk: Walk) -> str:
    """Whoever the review names decides it: the bureau (符合性审查, from its queue) or the unit (自查).

    Returns the role that decided.
    """
    unit = walk.person("unit_officer")
    decision = "form[action$='/actions/review_decision']"
    _until(unit, walk.tab("acceptance"), "验收前置审核", "h1")
    if unit.locator(decision).count():
        page, role = unit, "unit_officer"
    else:
        page, role = walk.person("bureau_officer"), "bureau_officer"
        _until_row(page, "/tasks", walk.url)
        page.locator(f"tr:has(a[href='{walk.url}'])").first.locator("a:has-text('审核')").click()
        page.wait_for_url(re.compile(rf"/projects/{walk.pid}"))
        page.goto(walk.tab("acceptance"))
        page.wait_for_selector(decision)
    page.check(f"{decision} input[name=outcome][value=pass]")
    page.fill("#review-opinion", "材料齐全，同意组织验收。")
    walk.look(page, "11-review")
    _post(page, "button:has-text('提交结论')")
    _until(page, walk.tab("acceptance"), "记录验收")
    return role


# ---- the archive -------------------------------------------------------------------


def package_and_check(walk: Walk) -> None:
    """The bureau packages the archive, runs 四性检测 and records the manual items."""
    bureau = walk.person("bureau_officer")
    bureau.goto(walk.tab("archive"))
    bureau.wait_for_selector("#archive button:has-text('生成归档信息包')", timeout=SLOW_MS)
    bureau.click("#archive button:has-text('生成归档信息包')")
    bureau.wait_for_selector("#archive table", timeout=SLOW_MS)
    bureau.click("#archive button:has-text('四性检测') >> nth=0")
    bureau.wait_for_selector("#check-report", timeout=SLOW_MS)
    bureau.click("#check-reports a:has-text('查看') >> nth=0")
    bureau.wait_for_url(re.compile(r"/check-reports/[0-9a-f-]{36}$"))
    for item in ("软硬件环境合规性检测", "操作过程安全性检测"):
        form = bureau.locator(f"form:has(h3:has-text('{item}'))")
        form.locator("input[value=pass]").check()
        form.locator("textarea").fill("已现场查验，符合要求。")
        form.locator("button").click()
        bureau.wait_for_selector(f"[role=status]:has-text('{item}')", timeout=60_000)
    assert "待人工确认" not in bureau.inner_text("#check-report table")
    walk.look(bureau, "12-check-report")


def pass_archive_acceptance(walk: Walk, article: str | None = None) -> None:
    """档案验收 on its page, with the embedded scanner.

    Where the regulation makes it a condition of acceptance (``article``), the page cites it and
    the checklist item is then satisfied.
    """
    bureau = walk.person("bureau_officer")
    bureau.goto(f"{walk.url}/archive-acceptance")
    if article:
        assert article in bureau.inner_text("main")
    bureau.select_option("#acc-package", index=1)
    bureau.click("button:has-text('执行档案验收')")
    bureau.wait_for_selector("#acceptance-result", timeout=SLOW_MS)
    result = bureau.inner_text("#acceptance-result")
    assert "档案验收通过" in result, result
    walk.look(bureau, "13-archive-acceptance")
    if article:
        _until(
            bureau, walk.tab("acceptance"), "已具备", "section:has(#acc-h) tr:has-text('档案验收')"
        )


# ---- deadlines and the 双随机 draw --------------------------------------------------


def request_extension(walk: Walk, deadline: str, until: str, reason: str) -> None:
    """The unit asks on the project page for a later deadline (延期申请)."""
    unit = walk.person("unit_officer")
    unit.goto(walk.tab("acceptance"))
    unit.fill(f"#ext-until-{deadline}", until)
    unit.fill(f"#ext-reason-{deadline}", reason)
    _post(unit, "button:has-text('提交延期申请')")
    assert "待审批" in unit.inner_text("section:has(#ext-h) table")
    walk.look(unit, "09-extension-asked")


def grant_extension(walk: Walk, until: str) -> None:
    """The bureau grants it on /deadlines; the unit's page shows it granted."""
    bureau = walk.person("bureau_officer")
    bureau.goto("/deadlines")
    form = bureau.locator(f"section:has(#pending-h) p:has(a[href='{walk.url}']) + form").first
    form.locator("input[value=grant]").check()
    form.locator("textarea").fill("同意延期验收。")
    with bureau.expect_navigation():
        form.locator("button:has-text('提交审批')").click()
    _alert_free(bureau)
    row = bureau.locator(f"tr:has(a[href='{walk.url}']):has-text('验收期限')").first
    assert f"{until}（原" in row.inner_text()
    walk.look(bureau, "09-extension-granted")
    _until(
        walk.person("unit_officer"),
        walk.tab("acceptance"),
        "已同意延期",
        "section:has(#ext-h) table",
    )


def draw(walk: Walk, article: str) -> None:
    """The bureau commits a 双随机 draw of every drawable project (this one among them) and makes it."""
    bureau = walk.person("bureau_officer")
    _until_row(bureau, "/draws", walk.url)
    register = bureau.locator("section:has(#reg-h) table")
    assert article in register.inner_text()
    bureau.fill("#draw-count", str(register.locator("tbody tr").count()))
    bureau.fill("#draw-pool", "孙专家\n李专家\n周专家")
    bureau.fill("#draw-evaluators", "2")
    _post(bureau, "button:has-text('承诺抽取')")
    assert "种子的摘要已公布" in bureau.inner_text("[role=status]")
    _post(bureau, "button:has-text('进行抽取')")
    drawn = bureau.locator("section:has(#draws-h)")
    assert drawn.locator(f"a[href='{walk.url}']").count() >= 1
    assert "按公开种子重算结果一致，种子与承诺相符" in drawn.inner_text()
    walk.look(bureau, "14-draw")


# ---- acceptance, operation, evaluation -------------------------------------------------


def accept(walk: Walk, *, held_on: str) -> str:
    """The acceptance is recorded with its report and the experts' opinion.

    The regulation says who organises it (专业类: the unit; 公共类: the bureau): the unit tries
    first, and the bureau records it where the acceptance service says it is the bureau's.
    Returns the role that recorded it.
    """
    for role in ("unit_officer", "bureau_officer"):
        page = walk.person(role)
        _until(page, walk.tab("acceptance"), "记录验收")
        page.check("form[action$='/actions/acceptance'] input[name=outcome][value=passed]")
        page.fill("#held_on", held_on)
        _pick(page, "#acc-report", "项目验收报告")
        page.fill("#expert_name", "赵专家")
        page.fill("#expert_opinion", "功能完整，同意通过。")
        page.fill("#conclusion", "项目按合同完成建设内容，同意通过验收。")
        with page.expect_navigation():
            page.click("button:has-text('记录验收')")
        alert = page.locator("div.error[role=alert]")
        if alert.count() and "无权" in alert.inner_text():
            continue
        _alert_free(page)
        _until(page, walk.url, "已验收", "h1")
        walk.look(page, "14-accepted")
        return role
    raise AssertionError("neither the unit nor the bureau may record the acceptance")


def operate(walk: Walk, *, on: str) -> None:
    unit = walk.person("unit_officer")
    unit.goto(walk.tab("acceptance"))
    unit.fill("#in_operation_on", on)
    _post(unit, "button:has-text('投入使用')")
    _until(unit, walk.url, "运行中", "h1")


def self_evaluate(walk: Walk, *, on: str, article: str) -> None:
    """The unit submits its self-evaluation (自评价) with the report; the page lists it with its article."""
    upload(walk, "应用效果自评价报告", "evaluation_report")
    unit = walk.person("unit_officer")
    unit.goto(walk.tab("acceptance"))
    unit.select_option("#eval-kind", "self_evaluation")
    _pick(unit, "#eval-report", "应用效果自评价报告")
    unit.fill("#submitted_on", on)
    unit.fill("#eval-summary", "系统运行稳定，达到预期效果。")
    _post(unit, "button:has-text('提交评价')")
    _until(unit, walk.tab("acceptance"), article, "section:has(#acc-h)")
    walk.look(unit, "15-evaluated")


def audit_and_oversee(walk: Walk, overseer_tenant: str) -> None:
    """The auditor reads the whole trail; the overseer finds the project on its dashboard."""
    auditor = walk.person("auditor")
    auditor.goto(f"{walk.url}/trail")
    trail = auditor.inner_text("main table")
    assert "govproj." not in trail
    walk.look(auditor, "16-trail")
    overseer = walk.new_page()
    overseer.set_default_timeout(60_000)
    login(overseer, tenant=overseer_tenant, role="overseer")
    overseer.goto(walk.url)
    assert "已自评" in overseer.inner_text("h1")
    walk.look(overseer, "17-overseer")
