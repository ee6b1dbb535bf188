"""The demo jurisdictions and units the embedded default loads (issue: foundation).

Four regulations (shared/seeds) and the tree above them. Units are the
建设单位 a bureau officer would see on the first day; at least two per
county-level tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# (code, name, level, parent)
DEMO_TENANTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("440000", "广东省", "province", None),
    ("445100", "潮州市", "city", "440000"),
    ("445102", "湘桥区", "county", "445100"),
    ("445103", "潮安区", "county", "445100"),
    ("445122", "饶平县", "county", "445100"),
    ("445300", "云浮市", "city", "440000"),
    ("445322", "郁南县", "county", "445300"),
    ("440800", "湛江市", "city", "440000"),
    ("440804", "坡头区", "county", "440800"),
    ("370000", "山东省", "province", None),
    ("370600", "烟台市", "city", "370000"),
    ("370683", "莱州市", "county", "370600"),
)

DEMO_UNITS: dict[str, tuple[str, ...]] = {
    "445100": ("潮州市政务服务数据管理局", "潮州市公安局", "潮州市卫生健康局"),
    "445102": ("湘桥区政务服务数据管理局", "湘桥区教育局", "湘桥区卫生健康局"),
    "445103": ("潮安区政务服务数据管理局", "潮安区自然资源局", "潮安区市场监督管理局"),
    "445122": ("饶平县政务服务数据管理局", "饶平县人力资源和社会保障局", "饶平县农业农村局"),
    "445322": ("郁南县政务和数据局", "郁南县教育局", "郁南县人民医院", "都城镇人民政府"),
    "440804": ("坡头区政务服务数据管理局", "坡头区教育局", "坡头区城市管理和综合执法局"),
    "370683": ("莱州市大数据局", "莱州市公安局", "莱州市教育和体育局", "莱州市城市管理局"),
}

# Who the demo tokens belong to, per role (the dev issuer's login page offers them).
DEMO_USERS: dict[str, str] = {
    "platform_admin": "平台管理员",
    "unit_officer": "项目管理专员",
    "bureau_officer": "数据局审核员",
    "expert": "评审专家",
    "finance_officer": "财政审核员",
    "crypto_officer": "密码管理员",
    "auditor": "审计员",
    "overseer": "上级主管",
}


def project_request(
    name: str,
    unit_id: str,
    year: int,
    description: str,
    *,
    amount: int = 800_000,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/projects`` for a demo project, as the seed and the benches send it.

    A software development project (amounts in 元, all of it software) with one
    contact, running the whole calendar year; ``facts`` adds to or overrides the
    regulation facts.
    """
    return {
        "name": name,
        "unit_id": unit_id,
        "year": year,
        "description": description,
        "contacts": [{"name": "张三", "phone": "0766-1234567"}],
        "schedule": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "facts": {
            "project_class": "professional",
            "service_types": ["software_development"],
            **(facts or {}),
            "amount": amount,
            "software_amount": amount,
        },
    }
