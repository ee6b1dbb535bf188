"""Problem codes a person may meet without the problem's own title.

Every problem+json carries a Chinese ``title`` (libs/common/errors.py), and that
title is what a person reads. These labels are for the places that keep only
the code: a decision that could not be made (kept on the project as
``decision_problem``), a trail row, a console message built from a stored code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["PROBLEM_LABELS"]

PROBLEM_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # The decision consumer's refusals (services/approval/decisions.py).
        "no_policy_in_force": "申报日期无适用的政策",
        "invalid_facts": "项目事实不合法",
        # The statuses a framework raises on its own (libs/common/errors.py).
        "bad_request": "请求格式错误",
        "unauthenticated": "未登录或登录已失效",
        "forbidden": "无权执行此操作",
        "forbidden_role": "无权执行此操作",
        "other_unit": "无权操作其他建设单位的项目",
        "not_found": "找不到该对象",
        "conflict": "操作与当前状态冲突",
        "illegal_state": "当前状态不允许此操作",
        "illegal_transition": "当前状态不允许此操作",
        "precondition_failed": "数据已被他人修改，请刷新后重试",
        "precondition_required": "缺少版本号，请刷新后重试",
        "payload_too_large": "文件过大",
        "unsupported_media_type": "不支持的文件类型",
        "validation_error": "输入数据不合法",
        "too_many_requests": "操作过于频繁，请稍后重试",
        "internal_error": "系统内部错误",
        "unavailable": "服务暂不可用，请稍后重试",
    }
)
