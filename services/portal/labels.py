"""What a person reads for each code (vocabulary.md): the policy engine's labels plus the console's own."""

from __future__ import annotations

from typing import Final

from libs.common.auth import ROLE_LABELS
from libs.policy.vocab import (
    EXCLUDED_KINDS,
    FROM_LABELS,
    FUNDING,
    PROJECT_CLASSES,
    REQUIREMENT_LABELS,
    ROUTE_LABELS,
    SERVICE_TYPES,
    STAGE_LABELS,
    TIME_LIMIT_LABELS,
)
from libs.policy.vocab import (
    FACT_LABELS as POLICY_FACT_LABELS,
)

__all__ = [
    "BUDGET_LINES",
    "DEADLINE_STATES",
    "DOCUMENT_TYPES",
    "EXCLUDED_KINDS",
    "FIELD_LABELS",
    "FROM_LABELS",
    "FUNDING",
    "OPINION_OUTCOMES",
    "PROJECT_CLASSES",
    "REQUIREMENT_LABELS",
    "ROLE_LABELS",
    "ROUTE_LABELS",
    "SERVICE_TYPES",
    "STAGE_LABELS",
    "STATE_LABELS",
    "STEP_LABELS",
    "STEP_STATES",
    "TIME_LIMIT_LABELS",
    "WORKFLOW_STATES",
    "money",
]

# vocabulary.md "Lifecycle of a project" (+ out_of_scope from vocabulary-extensions.md).
STATE_LABELS: Final[dict[str, str]] = {
    "draft": "草稿",
    "submitted": "已申报",
    "under_review": "审核中",
    "approved": "已立项",
    "filed": "已备案",
    "rejected": "不予立项",
    "out_of_scope": "不适用本办法",
    "procuring": "采购中",
    "implementing": "实施中",
    "completed": "已完工",
    "acceptance_review": "验收前置审核",
    "accepted": "已验收",
    "in_operation": "运行中",
    "evaluated": "已自评",
    "decommissioned": "已停用",
    "terminated": "已终止",
}

# The approval workflow's step codes are requirement codes (+ the approval itself).
STEP_LABELS: Final[dict[str, str]] = {
    **REQUIREMENT_LABELS,
    "approval_decision": "立项批复",
    "filing_acknowledgement": "备案确认",
}
# services/approval/workflow/service.py: a step is pending → open → approved | returned | rejected
# (or cancelled when an earlier step ends the workflow).
STEP_STATES: Final[dict[str, str]] = {
    "pending": "未开始",
    "open": "办理中",
    "approved": "已同意",
    "returned": "已退回修改",
    "rejected": "不同意",
    "cancelled": "已取消",
}
WORKFLOW_STATES: Final[dict[str, str]] = {
    "open": "办理中",
    "approved": "已批复立项",
    "filed": "已备案",
    "returned": "已退回修改",
    "rejected": "不予立项",
    "closed": "已办结",
}
OPINION_OUTCOMES: Final[dict[str, str]] = {
    "approve": "同意",
    "return": "退回修改",
    "reject": "不同意",
    "agree": "同意",
    "agree_with_changes": "修改后同意",
    "disagree": "不同意",
}

# services/archive/vocab.py DOCUMENT_TYPES: the archive's controlled list (codes never renamed).
DOCUMENT_TYPES: Final[dict[str, str]] = {
    "project_proposal": "项目建议书/申报书",
    "feasibility_study": "可行性研究报告、初步设计、投资概算",
    "implementation_plan": "建设方案/实施方案",
    "review_opinion": "评审/论证意见",
    "approval_document": "立项批复/备案文件",
    "procurement_document": "采购文件",
    "contract": "合同",
    "supervision_report": "监理报告",
    "test_report": "测试/测评报告",
    "security_assessment_report": "安全评估/等级保护测评报告",
    "crypto_assessment_report": "密码应用安全性评估报告",
    "acceptance_report": "验收报告",
    "evaluation_report": "自评价/绩效评价报告",
    "other": "其他",
}

# services/budget/rules.py LINE_LABELS: the budget lines a pack's caps speak of.
BUDGET_LINES: Final[dict[str, str]] = {
    "construction": "建设费用",
    "supervision": "监理费用",
    "third_party_testing": "第三方测试费用",
    "security_assessment": "安全评估费用",
    "operations": "运维费用",
}
DEADLINE_STATES: Final[dict[str, str]] = {"open": "未到期", "overdue": "已逾期", "met": "已完成"}

# Field paths of the services' problems, as a person knows them.
FIELD_LABELS: Final[dict[str, str]] = {
    **{f"facts.{k}": v for k, v in POLICY_FACT_LABELS.items()},
    "name": "项目名称",
    "unit_id": "建设单位",
    "year": "建设年度",
    "description": "项目概述",
    "demand_item_id": "年度需求计划条目",
    "title": "题名",
    "doc_type": "文件类型",
    "doc_date": "成文日期",
    "author_unit": "责任者",
    "file": "文件",
    "amount": "金额",
    "opinion": "意见",
    "outcome": "结论",
}


def money(amount: int | None) -> str:
    """Integer yuan as a person reads it: 800000 → 80万元, 12345 → 12,345元."""
    if amount is None:
        return "—"
    if amount and amount % 10000 == 0:
        return f"{amount // 10000:,}万元"
    if amount >= 10000:
        return f"{amount / 10000:,.2f}万元"
    return f"{amount:,}元"
