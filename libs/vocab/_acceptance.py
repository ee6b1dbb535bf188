"""The acceptance service's codes: review modes, evaluations, deadlines (docs/acceptance.md)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "ACCEPTANCE_OUTCOMES",
    "DEADLINE_NOTICES",
    "DEADLINE_STATES",
    "DRAW_STATES",
    "EVALUATION_KINDS",
    "EXTENSION_STATES",
    "REVIEW_MODES",
    "REVIEW_STATES",
]

# docs/vocabulary-extensions.md "Acceptance and evaluation".
REVIEW_MODES: Final[Mapping[str, str]] = MappingProxyType(
    {"conformity_review": "符合性审查", "self_check": "建设单位自查"}
)
# A pre-acceptance review: open → passed | returned.
REVIEW_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"open": "审核中", "passed": "已通过", "returned": "已退回修改"}
)
ACCEPTANCE_OUTCOMES: Final[Mapping[str, str]] = MappingProxyType(
    {"passed": "验收通过", "failed": "验收不通过"}
)
EVALUATION_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "self_evaluation": "应用效果自评价",
        "performance_evaluation": "绩效评价",
        "post_evaluation": "绩效后评估",
        "standard": "工程标准或团体标准",
    }
)
DEADLINE_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"open": "未到期", "overdue": "已逾期", "met": "已完成"}
)
# Each sent once per deadline cycle; the 30 days of the reminder are the
# platform's choice (no regulation sets one).
DEADLINE_NOTICES: Final[Mapping[str, str]] = MappingProxyType(
    {"reminder": "到期提醒", "overdue": "逾期通知"}
)
# 莱政办发〔2022〕6号 第二十三条第二款: a requested extension of acceptance.
EXTENSION_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"requested": "待审批", "granted": "已同意延期", "refused": "未同意延期"}
)
# 第三十四条 双随机: a draw is committed (the seed's digest published), then drawn (seed revealed).
DRAW_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"committed": "已承诺（种子未公开）", "drawn": "已抽取（种子已公开）", "legacy": "旧式抽取"}
)
