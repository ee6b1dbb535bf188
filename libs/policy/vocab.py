"""The codes of docs/vocabulary.md that the engine knows, with their Chinese labels.

The tables now live in :mod:`libs.vocab` (one vocabulary for the platform,
issue 15 item 3); this module keeps the names the engine and its users import.
Never rename a code: extend, in libs/vocab.
"""

from __future__ import annotations

from libs.vocab import (
    BASE_LABELS,
    CATEGORIES,
    EXCLUDED_KINDS,
    FACT_LABELS,
    FROM_LABELS,
    FUNDING,
    LIGHTNESS,
    PROJECT_CLASSES,
    RELATIONS,
    REQUIREMENT_LABELS,
    ROLE_BODIES,
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
    "ROLE_BODIES",
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
