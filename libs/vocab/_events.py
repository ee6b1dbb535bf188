"""Every platform event type as the fragment of a sentence a trail row reads ("项目已立项").

Types are ``govproj.<service>.<aggregate>.<event>.v<n>`` (libs/common/events);
the finance system's own types (``finance.…``) arrive through budget's contract.
A fragment states what happened, in the past, without the actor or the object's
name: the trail puts those beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["EVENT_LABELS", "TRIGGER_LABELS"]

EVENT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # registry: tenants, units, projects, annual plans, the system catalog
        "govproj.registry.tenant.created.v1": "辖区已登记",
        "govproj.registry.tenant.updated.v1": "辖区信息已更新",
        "govproj.registry.unit.created.v1": "建设单位已登记",
        "govproj.registry.project.created.v1": "项目草稿已创建",
        "govproj.registry.project.updated.v1": "项目信息已修改",
        "govproj.registry.project.submitted.v1": "项目已申报",
        "govproj.registry.project.state_changed.v1": "项目状态已变更",
        "govproj.registry.plan.demand_submitted.v1": "年度需求已申报",
        "govproj.registry.plan.demand_excluded.v1": "年度需求已排除",
        "govproj.registry.plan.demand_restored.v1": "年度需求已恢复",
        "govproj.registry.plan.consolidated.v1": "年度需求计划已汇总",
        "govproj.registry.system.registered.v1": "政务信息系统已登记入目录",
        "govproj.registry.system.updated.v1": "政务信息系统信息已更新",
        "govproj.registry.system.state_changed.v1": "政务信息系统状态已变更",
        "govproj.registry.system.decommissioned.v1": "政务信息系统已停用",
        # approval: the decision, the review workflow, documents, changes, reports
        "govproj.approval.project.decided.v1": "已按政策作出判定",
        "govproj.approval.project.decision_failed.v1": "未能作出判定，项目退回草稿",
        "govproj.approval.project.approved.v1": "项目已立项",
        "govproj.approval.project.filed.v1": "项目已备案",
        "govproj.approval.project.rejected.v1": "项目不予立项",
        "govproj.approval.project.returned.v1": "项目已退回修改",
        "govproj.approval.project.terminated.v1": "项目终止已备案",
        "govproj.approval.workflow.opened.v1": "审核流程已开始",
        "govproj.approval.workflow.closed.v1": "无需审核，流程已结束",
        "govproj.approval.step.opened.v1": "审核环节已开始办理",
        "govproj.approval.step.experts_assigned.v1": "评审专家已确定",
        "govproj.approval.step.expert_opinion_recorded.v1": "专家意见已提交",
        "govproj.approval.step.completed.v1": "审核环节已办结",
        "govproj.approval.change.filed.v1": "调整/变更已备案",
        "govproj.approval.change.submitted_for_approval.v1": "调整/变更已提交审批",
        "govproj.approval.change.approved.v1": "调整/变更已批准",
        "govproj.approval.change.returned.v1": "调整/变更已退回修改",
        "govproj.approval.change.rejected.v1": "调整/变更未获批准",
        "govproj.approval.approval.expired.v1": "审批意见已过有效期",
        "govproj.approval.report.submitted.v1": "批复结果已报送上级",
        "govproj.approval.report.received.v1": "上级已收到批复结果",
        "govproj.approval.exception.granted.v1": "主管机关已决定例外",
        "govproj.approval.parameter.set.v1": "主管机关已设定参数",
        # budget: lines, the finance system's review and money, procurement
        "govproj.budget.line.recorded.v1": "预算明细已编报",
        "govproj.budget.line.adjusted.v1": "预算明细已调整",
        "govproj.budget.finance_review.requested.v1": "已提请财政资金审核",
        "govproj.budget.finance_review.completed.v1": "财政资金审核已完成",
        "govproj.budget.finance_review.closed.v1": "财政资金审核已撤回",
        "govproj.budget.arrangement.recorded.v1": "财政资金安排已登记",
        "govproj.budget.disbursement.recorded.v1": "资金支付已登记",
        "govproj.budget.usage.reported.v1": "资金使用情况已报告",
        "govproj.budget.surplus.returned.v1": "结余资金已收回",
        "govproj.budget.project.procurement_started.v1": "项目已启动采购",
        "govproj.budget.project.contracted.v1": "合同已签订，项目进入实施",
        "finance.budget.review.answered.v1": "财政部门已答复资金审核",
        "finance.budget.arrangement.notified.v1": "财政部门已下达资金安排",
        "finance.budget.payment.disbursed.v1": "财政部门已支付资金",
        # acceptance: completion, pre-acceptance review, acceptance, deadlines, evaluations
        "govproj.acceptance.project.completed.v1": "项目已完工",
        "govproj.acceptance.project.review_requested.v1": "已提交验收前置审核",
        "govproj.acceptance.project.review_returned.v1": "验收环节已退回修改",
        "govproj.acceptance.project.accepted.v1": "项目已通过验收",
        "govproj.acceptance.project.in_operation.v1": "项目已投入运行",
        "govproj.acceptance.project.evaluated.v1": "项目已完成自评价",
        "govproj.acceptance.project.decommissioned.v1": "项目已停用",
        "govproj.acceptance.acceptance.recorded.v1": "验收结果已记录",
        "govproj.acceptance.review.item_updated.v1": "验收前置审核事项已更新",
        "govproj.acceptance.review.passed.v1": "验收前置审核已通过",
        "govproj.acceptance.evaluation.submitted.v1": "评价报告已提交",
        "govproj.acceptance.draw.committed.v1": "绩效后评估抽取已承诺（种子哈希已公布）",
        "govproj.acceptance.draw.drawn.v1": "绩效后评估项目已随机抽取",
        "govproj.acceptance.deadline.scheduled.v1": "期限已开始计算",
        "govproj.acceptance.deadline.met.v1": "期限事项已完成",
        "govproj.acceptance.deadline.reminder.v1": "期限即将届满",
        "govproj.acceptance.deadline.overdue.v1": "期限已逾期",
        "govproj.acceptance.deadline.extension_requested.v1": "已申请延期",
        "govproj.acceptance.deadline.extension_granted.v1": "延期申请已同意",
        "govproj.acceptance.deadline.extension_refused.v1": "延期申请未同意",
        # archive: documents, packages, 四性检测, archive acceptance, preservation audits
        "govproj.archive.document.uploaded.v1": "文件已归档",
        "govproj.archive.document.attached.v1": "文件已关联到项目",
        "govproj.archive.document.deleted.v1": "文件已删除",
        "govproj.archive.document.legal_hold_set.v1": "文件已冻结保全",
        "govproj.archive.document.legal_hold_lifted.v1": "文件保全已解除",
        "govproj.archive.package.created.v1": "归档信息包已生成",
        "govproj.archive.check_report.completed.v1": "四性检测已完成",
        "govproj.archive.check_report.manual_recorded.v1": "四性检测人工确认已记录",
        "govproj.archive.acceptance.passed.v1": "档案验收已通过",
        "govproj.archive.acceptance.failed.v1": "档案验收未通过",
        "govproj.archive.fixity.audited.v1": "长期保存巡检已完成",
        "govproj.archive.fixity.changed.v1": "巡检发现文件内容被改动",
        "govproj.archive.fixity.missing.v1": "巡检发现文件缺失",
        "govproj.archive.fixity.untracked.v1": "巡检发现存储中有未登记的文件",
    }
)

# What drives a lifecycle transition besides an event (services/registry/lifecycle.py:
# ``registry:<verb>``, a person's request) and the console's own trail sources.
TRIGGER_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "registry:create": "创建项目",
        "registry:submit": "申报项目",
        "registry:terminate": "终止项目",
        "archive:document": "归档文件",
    }
)
