"""The approval service's review workflow: step kinds, step and workflow states, opinions."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from libs.vocab._policy import REQUIREMENT_LABELS

__all__ = ["OPINION_OUTCOMES", "STEP_LABELS", "STEP_STATES", "WORKFLOW_STATES"]

# A step is named by the requirement code it carries, or is the final act
# (docs/vocabulary-extensions.md "Review workflow").
STEP_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        **REQUIREMENT_LABELS,
        "approval_decision": "立项批复",
        "filing_acknowledgement": "备案确认",
    }
)

# pending → open → approved | returned | rejected, or cancelled when an earlier
# step ends the workflow. `pending` reads 未开始 (not 待办: it is nobody's task
# yet) and the ended states read as done deeds (已同意), as a list of steps does.
STEP_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "pending": "未开始",
        "open": "办理中",
        "approved": "已同意",
        "returned": "已退回修改",
        "rejected": "不同意",
        "cancelled": "流程已结束",
    }
)
# The workflow's own state; `approved`/`filed`/`rejected` read like the project's.
WORKFLOW_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "open": "审核中",
        "approved": "已立项",
        "filed": "已备案",
        "returned": "已退回修改",
        "rejected": "不予立项",
        "closed": "无需审核",
    }
)

# An officer's outcome on a step (approve/return/reject) and an expert's
# conclusion (agree/agree_with_changes/disagree): disjoint codes, one table so a
# step's opinions list reads the same whoever gave them.
OPINION_OUTCOMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "approve": "同意",
        "return": "退回修改",
        "reject": "不同意",
        "agree": "同意",
        "agree_with_changes": "修改后同意",
        "disagree": "不同意",
    }
)
