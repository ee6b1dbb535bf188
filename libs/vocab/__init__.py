"""One vocabulary for the platform: every code a person may meet, its Chinese label, and
the formatters a console needs (issue 15 item 3; vocabulary.md, docs/vocabulary-extensions.md).

Pure and typed: constant tables, ``label(kind, code)`` that never hands a raw code to a
person, amount and time formatting, amount parsing. No I/O beyond a log line for an
unknown code. A code is never renamed; a new one is added here and in the docs.
"""

from __future__ import annotations

from libs.vocab._acceptance import (
    ACCEPTANCE_OUTCOMES,
    DEADLINE_NOTICES,
    DEADLINE_STATES,
    EVALUATION_KINDS,
    EXTENSION_STATES,
    REVIEW_MODES,
    REVIEW_STATES,
)
from libs.vocab._archive import (
    CHECK_ITEMS,
    CHECK_OUTCOMES,
    CHECK_PROPERTIES,
    CHECK_STAGES,
    DOCUMENT_TYPES,
    FIXITY_FINDINGS,
    RETENTION_PERIODS,
    SECURITY_LEVELS,
    CheckStage,
    DocumentType,
    RetentionPeriod,
    SecurityLevel,
)
from libs.vocab._budget import (
    BUDGET_LINES,
    FINANCE_REVIEW_STATES,
    PROCUREMENT_METHODS,
)
from libs.vocab._events import (
    EVENT_LABELS,
    TRIGGER_LABELS,
)
from libs.vocab._fields import FIELD_LABELS
from libs.vocab._format import (
    BEIJING,
    MAX_AMOUNT,
    AmountError,
    format_amount,
    format_time,
    format_wan,
    parse_amount,
)
from libs.vocab._label import (
    KINDS,
    LabelKind,
    label,
    labels,
)
from libs.vocab._policy import (
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
    ROLES,
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
from libs.vocab._problems import (
    PROBLEM_LABELS,
)
from libs.vocab._project import (
    BUDGET_STATUS_LABELS,
    CHANGE_KINDS,
    CHANGE_STATES,
    DISPOSITIONS,
    PLAN_ITEM_STATES,
    PLAN_STATES,
    STATE_LABELS,
    SYSTEM_STATES,
    StateCode,
)
from libs.vocab._workflow import (
    OPINION_OUTCOMES,
    STEP_LABELS,
    STEP_STATES,
    WORKFLOW_STATES,
)

__all__ = [
    "ACCEPTANCE_OUTCOMES",
    "BEIJING",
    "BUDGET_LINES",
    "BUDGET_STATUS_LABELS",
    "CATEGORIES",
    "CHANGE_KINDS",
    "CHANGE_STATES",
    "CHECK_ITEMS",
    "CHECK_OUTCOMES",
    "CHECK_PROPERTIES",
    "CHECK_STAGES",
    "DEADLINE_NOTICES",
    "DEADLINE_STATES",
    "DISPOSITIONS",
    "DOCUMENT_TYPES",
    "EVALUATION_KINDS",
    "EVENT_LABELS",
    "EXCLUDED_KINDS",
    "EXTENSION_STATES",
    "FACT_LABELS",
    "FIELD_LABELS",
    "FINANCE_REVIEW_STATES",
    "FIXITY_FINDINGS",
    "FROM_LABELS",
    "FUNDING",
    "KINDS",
    "LIGHTNESS",
    "MAX_AMOUNT",
    "OPINION_OUTCOMES",
    "PLAN_ITEM_STATES",
    "PLAN_STATES",
    "PROBLEM_LABELS",
    "PROCUREMENT_METHODS",
    "PROJECT_CLASSES",
    "RELATIONS",
    "REQUIREMENT_LABELS",
    "RETENTION_PERIODS",
    "REVIEW_MODES",
    "REVIEW_STATES",
    "ROLES",
    "ROLE_LABELS",
    "ROUTES",
    "ROUTE_LABELS",
    "SECURITY_LEVELS",
    "SERVICE_TYPES",
    "STAGE_LABELS",
    "STATE_LABELS",
    "STEP_LABELS",
    "STEP_STATES",
    "SYSTEM_STATES",
    "TIME_LIMIT_LABELS",
    "TRIGGER_LABELS",
    "VALUE_LABELS",
    "WORKFLOW_STATES",
    "AmountError",
    "CheckStage",
    "DocumentType",
    "LabelKind",
    "RetentionPeriod",
    "RoleCode",
    "RouteCode",
    "SecurityLevel",
    "StageCode",
    "StateCode",
    "format_amount",
    "format_time",
    "format_wan",
    "label",
    "labels",
    "parse_amount",
]
