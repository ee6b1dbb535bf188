"""The codes of docs/vocabulary.md that the engine knows, with their Chinese labels.

The tables now live in :mod:`libs.vocab` (one vocabulary for the platform,
issue 15 item 3); this module keeps the names the engine and its users import.
Never rename a code: extend, in libs/vocab.
"""

from __future__ import annotations

from typing import Final

from libs.vocab import (
    CATEGORIES,
    EXCLUDED_KINDS,
    FACT_LABELS,
    FROM_LABELS,
    FUNDING,
    LIGHTNESS,
    PROJECT_CLASSES,
    RELATIONS,
    REQUIREMENT_LABELS,
    ROLE_LABELS,
    ROUTE_LABELS,
    ROUTES,
    SERVICE_TYPES,
    STAGE_LABELS,
    TIME_LIMIT_LABELS,
    VALUE_LABELS,
    RoleCode,
    RouteCode,
    StageCode,
)

__all__ = [
    "BASE_LABELS",
    "CATEGORIES",
    "EXCLUDED_KINDS",
    "FACT_LABELS",
    "FROM_LABELS",
    "FUNDING",
    "LIGHTNESS",
    "PROJECT_CLASSES",
    "RELATIONS",
    "REQUIREMENT_LABELS",
    "ROLE_LABELS",
    "ROUTES",
    "ROUTE_LABELS",
    "SERVICE_TYPES",
    "STAGE_LABELS",
    "TIME_LIMIT_LABELS",
    "VALUE_LABELS",
    "RoleCode",
    "RouteCode",
    "StageCode",
]

# What a ratio is a share of (a time limit's ``base``): the texts name different totals.
BASE_LABELS: Final[dict[str, str]] = {
    "budget_estimate": "概算总投资",  # 莱州 第十九条
    "construction_total": "建设总投入",  # 莱州 第二十九条
    "project_total": "项目总金额",  # 坡头 第二十一条
    "approved_total": "批复总投资",
}
