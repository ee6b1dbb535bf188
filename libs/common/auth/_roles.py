"""The role codes of vocabulary.md: the only roles a token can grant."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["OVERSEER", "ROLES", "ROLE_LABELS"]

# vocabulary.md "Roles": code -> the label a person sees. Never rename a code.
ROLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "unit_officer": "建设单位/项目管理专员",
        "bureau_officer": "政务服务数据管理局",
        "expert": "专家",
        "finance_officer": "财政",
        "crypto_officer": "密码管理部门",
        "auditor": "审计",
        "overseer": "上级主管部门",
        "platform_admin": "平台管理员",
    }
)

ROLES: frozenset[str] = frozenset(ROLE_LABELS)

# The one role that reads the tenant's descendants (docs/adr/0003-visible-tenants.md).
OVERSEER = "overseer"
