"""A project's life: lifecycle states, the catalog's systems, annual plans, change requests."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "BUDGET_STATUS_LABELS",
    "CATALOG_SORTS",
    "CHANGE_KINDS",
    "CHANGE_STATES",
    "DISPOSITIONS",
    "PLAN_ITEM_SORTS",
    "PLAN_ITEM_STATES",
    "PLAN_STATES",
    "PROJECT_SORTS",
    "PROJECT_TABS",
    "STATE_LABELS",
    "SYSTEM_FACTS",
    "SYSTEM_STATES",
    "TASK_SORTS",
    "StateCode",
]

StateCode = Literal[
    "draft",
    "submitted",
    "under_review",
    "approved",
    "filed",
    "rejected",
    "out_of_scope",
    "procuring",
    "implementing",
    "completed",
    "acceptance_review",
    "accepted",
    "in_operation",
    "evaluated",
    "decommissioned",
    "terminated",
]

# vocabulary.md "Lifecycle of a project", in its order, with out_of_scope from
# docs/vocabulary-extensions.md. The registry, the console, acceptance and budget
# kept four copies of this table; the registry's and the console's agreed with
# vocabulary.md word for word and are the ones kept.
STATE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
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
)

# The budget service's copy of a project also marks a project the approval
# returned (`returned`): not a lifecycle state (the registry puts the project
# back to draft), but budget shows it in its refusals.
BUDGET_STATUS_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {**STATE_LABELS, "returned": "已退回修改"}
)

# vocabulary.md "Information systems": a catalog entry's states.
SYSTEM_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"planned": "规划中", "in_operation": "运行中", "decommissioned": "已停用"}
)
# vocabulary.md "Information systems": the facts the rules ask of a catalog entry.
SYSTEM_FACTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "shares_data": "按要求共享数据",
        "duplicate_collection": "重复采集数据",
        "crypto_compliant": "符合密码应用要求",
        "security_compliant": "符合等级保护要求",
        "secure_reliable": "符合安全可靠应用政策",
        "hosted_on_gov_cloud": "部署在政务云",
    }
)
# docs/vocabulary-extensions.md "Catalog facts": what happens to a stopped system's data.
DISPOSITIONS: Final[Mapping[str, str]] = MappingProxyType(
    {"backup": "备份", "migration": "迁移", "destruction": "销毁"}
)

# docs/vocabulary-extensions.md "Annual plan states".
PLAN_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"collecting": "征集中", "consolidated": "已汇总"}
)
PLAN_ITEM_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"submitted": "已申报", "included": "列入计划", "excluded": "未列入"}
)

# docs/vocabulary-extensions.md "Change requests (调整/变更)".
CHANGE_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "adjustment": "调整",
        "major_change": "重大变更",
        "late_delivery": "逾期交付",
        "termination": "终止",
    }
)
# A change request is filed (within the limit) or goes through a change workflow.
CHANGE_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "filed": "已备案",
        "under_review": "审批中",
        "approved": "已批准",
        "returned": "已退回修改",
        "rejected": "未获批准",
    }
)

# The project page's tabs (console, issue 20), in the order shown.
PROJECT_TABS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "overview": "概况",
        "decision": "判定",
        "workflow": "流程",
        "budget": "资金",
        "implementation": "实施",
        "acceptance": "验收",
        "archive": "档案",
        "history": "记录",
    }
)

# The orders a project list may be sorted by (?sort=), with the column each names.
PROJECT_SORTS: Final[Mapping[str, str]] = MappingProxyType(
    {"name": "项目名称", "year": "年度", "amount": "总投资", "created": "创建时间"}
)

# The orders a work queue (待办) may be sorted by (?sort=).
TASK_SORTS: Final[Mapping[str, str]] = MappingProxyType(
    {"opened": "开始时间", "name": "项目", "amount": "金额"}
)

# The orders an annual plan's items may be sorted by (?sort=).
PLAN_ITEM_SORTS: Final[Mapping[str, str]] = MappingProxyType(
    {"submitted": "申报日期", "name": "需求", "amount": "预计总投资"}
)

# The orders the catalog of systems may be sorted by (?sort=).
CATALOG_SORTS: Final[Mapping[str, str]] = MappingProxyType(
    {"name": "系统名称", "registered": "登记时间"}
)
