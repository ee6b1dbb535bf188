"""The budget service's codes: budget lines, procurement methods, finance reviews."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from libs.vocab._policy import FUNDING

__all__ = ["BUDGET_LINES", "FINANCE_REVIEW_STATES", "LINE_FUNDING", "PROCUREMENT_METHODS"]

# The budget lines a pack's caps speak of (services/budget/rules.py LINE_KINDS).
BUDGET_LINES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "construction": "建设费用",
        "supervision": "监理费用",
        "third_party_testing": "第三方测试费用",
        "security_assessment": "安全评估费用",
        "operations": "运维费用",
    }
)

# 政府采购法 第二十六条 and 政府采购框架协议采购方式管理暂行办法: the methods
# budget's ProcurementStart.method accepts, plus the unit's own purchase below
# the thresholds (自行采购).
PROCUREMENT_METHODS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "public_tender": "公开招标",
        "invitational_tender": "邀请招标",
        "competitive_negotiation": "竞争性谈判",
        "competitive_consultation": "竞争性磋商",
        "single_source": "单一来源采购",
        "inquiry": "询价",
        "framework_agreement": "框架协议采购",
        "self_procurement": "自行采购",
    }
)

# A 资金审核 asked of the finance system: requested → answered, or closed when the
# project no longer needs it.
FINANCE_REVIEW_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"requested": "审核中", "answered": "已答复", "closed": "已撤回"}
)

# A budget line's or arrangement's source of money (services/budget Funding): the
# project's sources plus 财政新增资金, which needs the finance office's opinion first
# (潮州 第十三条).
LINE_FUNDING: Final[Mapping[str, str]] = MappingProxyType(
    {"fiscal": FUNDING["fiscal"], "new_fiscal": "财政新增资金", "non_fiscal": FUNDING["non_fiscal"]}
)
