"""A project's whole life, through the console's pages only, as each person who takes each step.

坡头区 (湛政数〔征求意见稿〕): plan → project → 申报 → the reviewers' queue → 立项批复/备案
as a 公文 → procurement and contract → money → 建成 → the pre-acceptance review →
archive package, 四性检测 with its manual items, 档案验收 (第二十三条: before acceptance)
→ acceptance → operation → 应用效果自评价 (第二十四条); the auditor reads the trail and
湛江市 oversees it.

莱州市 (莱政办发〔2022〕6号, in force 2022-09-29..2024-09-28): a project submitted in 2023
(the 申报日期 picks the version of the regulation), built in 2023-24, whose acceptance
falls behind its half-year (第二十三条: the unit asks for an extension, the bureau
grants it), the unit's own check and acceptance, the 双随机 draw (第三十四条),
operation and self-evaluation.

No service is called directly: every step is a page (tests/browser/lifecycle_walk.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from libs.common.deadlines import today_in_china
from tests.browser import lifecycle_walk as step
from tests.browser.lifecycle_walk import Walk

POTOU, ZHANJIANG, LAIZHOU, YANTAI = "440804", "440800", "370683", "370600"
# The platform's start (when run first) and some forty pages, each waiting for events.
pytestmark = pytest.mark.timeout(2400)


def test_a_potou_project_from_plan_to_self_evaluation(new_page: Any, tmp_path: Path) -> None:
    today = today_in_china().isoformat()
    walk = Walk(POTOU, new_page, tmp_path, "walk-potou")
    step.register_unit(walk)
    year = step.plan_demand(walk, "坡头区智慧城管平台", "150万")
    step.create_project(
        walk,
        name="坡头区智慧城管平台",
        year=year,
        amount="150万",
        demand="坡头区智慧城管平台",
        crypto=True,
    )
    decision = step.submit(walk)
    # 第十条/第十一条 立项 above the 政府采购限额, 第十二条 备案 below it (the bureau sets it).
    assert any(a in decision for a in ("第十一条", "第十二条")), decision
    reviewed = step.work_the_queue(walk)
    assert reviewed, "nobody's queue held the project"
    if "第十一条" in decision:
        # 立项 of a 专业类 project that uses cryptography: 第十一条第（二）项, 区国家保密局's opinion.
        assert any(r.startswith("crypto_officer") for r in reviewed), reviewed
        assert any(r.startswith("finance_officer") for r in reviewed), reviewed
    step.read_the_official_document(walk, "坡头区智慧城管平台")
    step.procure_and_contract(walk, started_on=today, signed_on=today)
    step.finance(walk, notice_no=f"坡财预〔{today[:4]}〕3号", year=int(today[:4]), paid_on=today)
    step.complete(walk, on=today)
    step.gather_evidence(walk)
    # 第二十三条: 档案验收 before the project's acceptance; done while the project is 已完工,
    # before the review (an archive acceptance passed after the review has passed is not
    # carried into that review's checklist: the acceptance service updates open reviews only).
    step.package_and_check(walk)
    step.pass_archive_acceptance(walk, "第二十三条")
    step.request_review(walk)
    step.name_evidence(walk)
    step.pass_review(walk)
    step.accept(walk, held_on=today)
    step.operate(walk, on=today)
    step.self_evaluate(walk, on=today, article="第二十四条")
    step.audit_and_oversee(walk, ZHANJIANG)


def test_a_laizhou_project_with_an_extension_and_the_double_random_draw(
    new_page: Any, tmp_path: Path
) -> None:
    walk = Walk(LAIZHOU, new_page, tmp_path, "walk-laizhou")
    step.register_unit(walk)
    # 第十条: outside the yearly plan only where 上级 requires it (mandated).
    step.create_project(walk, name="莱州市城市治理平台", year=2024, amount="600万", mandated=True)
    decision = step.submit(walk, on="2023-06-01")
    assert "莱政办发〔2022〕6号" in decision or "第九条" in decision, decision
    step.work_the_queue(walk)
    step.read_the_official_document(walk, "莱州市城市治理平台")
    step.procure_and_contract(walk, started_on="2023-08-01", signed_on="2023-10-09")
    step.finance(walk, notice_no="莱财预〔2023〕12号", year=2023, paid_on="2023-11-01")
    step.complete(walk, on="2024-03-04")
    # 第二十三条第二款: not accepted within half a year of completion → 延期验收申请.
    step.request_extension(walk, "acceptance_due", "2030-06-30", "第三方测评排期延后")
    step.grant_extension(walk, "2030-06-30")
    step.gather_evidence(walk)
    step.request_review(walk)
    step.name_evidence(walk)
    step.pass_review(walk)
    step.package_and_check(walk)
    step.pass_archive_acceptance(walk)
    step.accept(walk, held_on="2024-05-06")
    step.draw(walk, "第三十四条")
    step.operate(walk, on="2024-06-01")
    step.self_evaluate(walk, on="2024-09-01", article="第三十四条")
    step.audit_and_oversee(walk, YANTAI)
