"""``label(kind, code)``: the one way a code becomes words a person reads."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

from libs.vocab._acceptance import (
    ACCEPTANCE_OUTCOMES,
    DEADLINE_NOTICES,
    DEADLINE_STATES,
    DRAW_STATES,
    EVALUATION_KINDS,
    EXTENSION_STATES,
    REVIEW_MODES,
    REVIEW_STATES,
)
from libs.vocab._archive import (
    ARCHIVE_ACCEPTANCE_OUTCOMES,
    CHECK_ITEMS,
    CHECK_OUTCOMES,
    CHECK_PROPERTIES,
    CHECK_STAGES,
    DOCUMENT_TYPES,
    FIXITY_FINDINGS,
    RETENTION_PERIODS,
    SECURITY_LEVELS,
    VIRUS_DATABASES,
)
from libs.vocab._budget import (
    BUDGET_LINES,
    FINANCE_REVIEW_STATES,
    LINE_FUNDING,
    PROCUREMENT_METHODS,
)
from libs.vocab._events import EVENT_LABELS, TRIGGER_LABELS
from libs.vocab._fields import FIELD_LABELS
from libs.vocab._policy import (
    CATEGORIES,
    DIFF_KINDS,
    EXCLUDED_KINDS,
    FACT_LABELS,
    FROM_LABELS,
    PACK_SECTIONS,
    PACK_STATUSES,
    PROJECT_CLASSES,
    RELATIONS,
    REQUIREMENT_LABELS,
    ROLE_LABELS,
    ROUTE_LABELS,
    SERVICE_TYPES,
    STAGE_LABELS,
    TENANT_LEVELS,
    TIME_LIMIT_LABELS,
    VALUE_LABELS,
)
from libs.vocab._problems import PROBLEM_LABELS
from libs.vocab._project import (
    BUDGET_STATUS_LABELS,
    CHANGE_KINDS,
    CHANGE_STATES,
    DISPOSITIONS,
    PLAN_ITEM_STATES,
    PLAN_STATES,
    STATE_LABELS,
    SYSTEM_STATES,
)
from libs.vocab._workflow import OPINION_OUTCOMES, STEP_LABELS, STEP_STATES, WORKFLOW_STATES

__all__ = ["KINDS", "LabelKind", "label", "labels"]

log = logging.getLogger("libs.vocab")

LabelKind = Literal[
    "state",
    "budget_status",
    "route",
    "role",
    "stage",
    "requirement",
    "time_limit",
    "from",
    "fact",
    "value",
    "project_class",
    "category",
    "service_type",
    "funding",
    "excluded_kind",
    "relation",
    "system_state",
    "disposition",
    "plan_state",
    "plan_item_state",
    "change_kind",
    "change_state",
    "step",
    "step_state",
    "workflow_state",
    "opinion",
    "budget_line",
    "procurement_method",
    "finance_review_state",
    "review_mode",
    "review_state",
    "acceptance_outcome",
    "evaluation_kind",
    "deadline_state",
    "deadline_notice",
    "draw_state",
    "extension_state",
    "document_type",
    "security_level",
    "retention_period",
    "check_property",
    "check_stage",
    "check_item",
    "check_outcome",
    "fixity_finding",
    "virus_database",
    "archive_acceptance_outcome",
    "event",
    "trigger",
    "problem",
    "field",
    "pack_status",
    "pack_section",
    "diff_kind",
    "tenant_level",
]


def _unversioned(table: Mapping[str, str]) -> dict[str, str]:
    # "govproj.x.y.z.v1" → "govproj.x.y.z": a v2 of an event still did the same thing.
    return {code.rsplit(".v", 1)[0]: text for code, text in table.items()}


# kind → (its table, what a person reads when a code is missing from it).
_KINDS: Final[Mapping[str, tuple[Mapping[str, str], str]]] = MappingProxyType(
    {
        "state": (STATE_LABELS, "其他状态"),
        "budget_status": (BUDGET_STATUS_LABELS, "其他状态"),
        "route": (ROUTE_LABELS, "其他管理方式"),
        "role": (ROLE_LABELS, "其他角色"),
        "stage": (STAGE_LABELS, "其他阶段"),
        "requirement": (REQUIREMENT_LABELS, "其他要求"),
        "time_limit": (TIME_LIMIT_LABELS, "其他期限"),
        "from": (FROM_LABELS, "其他起算点"),
        "fact": (FACT_LABELS, "其他项目信息"),
        "value": (VALUE_LABELS, "其他"),
        "project_class": (PROJECT_CLASSES, "其他类别"),
        "category": (CATEGORIES, "其他分类"),
        "service_type": (SERVICE_TYPES, "其他服务类型"),
        "funding": (LINE_FUNDING, "其他资金来源"),  # the project's sources and 财政新增资金
        "excluded_kind": (EXCLUDED_KINDS, "其他排除情形"),
        "relation": (RELATIONS, "其他关系"),
        "system_state": (SYSTEM_STATES, "其他状态"),
        "disposition": (DISPOSITIONS, "其他处置方式"),
        "plan_state": (PLAN_STATES, "其他状态"),
        "plan_item_state": (PLAN_ITEM_STATES, "其他状态"),
        "change_kind": (CHANGE_KINDS, "其他调整或变更"),
        "change_state": (CHANGE_STATES, "其他状态"),
        "step": (STEP_LABELS, "其他审核环节"),
        "step_state": (STEP_STATES, "其他状态"),
        "workflow_state": (WORKFLOW_STATES, "其他状态"),
        "opinion": (OPINION_OUTCOMES, "其他意见"),
        "budget_line": (BUDGET_LINES, "其他费用"),
        "procurement_method": (PROCUREMENT_METHODS, "其他采购方式"),
        "finance_review_state": (FINANCE_REVIEW_STATES, "其他状态"),
        "review_mode": (REVIEW_MODES, "其他审核方式"),
        "review_state": (REVIEW_STATES, "其他状态"),
        "acceptance_outcome": (ACCEPTANCE_OUTCOMES, "其他结论"),
        "evaluation_kind": (EVALUATION_KINDS, "其他评价"),
        "deadline_state": (DEADLINE_STATES, "其他状态"),
        "deadline_notice": (DEADLINE_NOTICES, "其他通知"),
        "draw_state": (DRAW_STATES, "其他状态"),
        "extension_state": (EXTENSION_STATES, "其他状态"),
        "document_type": (DOCUMENT_TYPES, "其他文件"),
        "security_level": (SECURITY_LEVELS, "其他密级"),
        "retention_period": (RETENTION_PERIODS, "其他保管期限"),
        "check_property": (CHECK_PROPERTIES, "其他检测属性"),
        "check_stage": (CHECK_STAGES, "其他检测环节"),
        "check_item": (CHECK_ITEMS, "其他检测项"),
        "check_outcome": (CHECK_OUTCOMES, "其他结果"),
        "fixity_finding": (FIXITY_FINDINGS, "其他巡检发现"),
        "virus_database": (VIRUS_DATABASES, "其他病毒库"),
        "archive_acceptance_outcome": (ARCHIVE_ACCEPTANCE_OUTCOMES, "其他结论"),
        "event": (EVENT_LABELS, "其他操作"),
        "trigger": (MappingProxyType({**EVENT_LABELS, **TRIGGER_LABELS}), "其他操作"),
        "problem": (PROBLEM_LABELS, "操作未能完成"),
        "field": (FIELD_LABELS, "其他信息"),
        "pack_status": (PACK_STATUSES, "其他状态"),
        "pack_section": (PACK_SECTIONS, "其他内容"),
        "diff_kind": (DIFF_KINDS, "其他差异"),
        "tenant_level": (TENANT_LEVELS, "其他层级"),
    }
)
KINDS: Final[frozenset[str]] = frozenset(get_args(LabelKind))
_UNVERSIONED: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {kind: _unversioned(_KINDS[kind][0]) for kind in ("event", "trigger")}
)
# Each unknown (kind, code) is logged once per process: a list page of a
# thousand rows with one unknown state must not write a thousand lines. Bounded,
# so a stream of garbage codes cannot grow it without end.
_REPORTED: set[tuple[str, str]] = set()
_REPORT_LIMIT: Final = 1024


def labels(kind: LabelKind) -> Mapping[str, str]:
    """Every code of ``kind`` with its label, in the vocabulary's order (for a form's choices)."""
    return _KINDS[kind][0]


def label(kind: LabelKind, code: object) -> str:
    """What a person reads for ``code`` of ``kind``: its label, never the code itself.

    ``None`` or "" reads "—". A code the vocabulary does not know reads as a
    neutral word of its kind ("其他状态") and is logged (once per process) with
    the code, so the missing label is found in the logs rather than on a page.
    An unknown ``kind`` is a programming error and raises ``KeyError``.
    """
    table, fallback = _KINDS[kind]
    if code is None or code == "":
        return "—"
    key = str(code)
    found = table.get(key)
    if found is None and kind in _UNVERSIONED:
        found = _UNVERSIONED[kind].get(key.rsplit(".v", 1)[0])
    if found is not None:
        return found
    if (kind, key) not in _REPORTED and len(_REPORTED) < _REPORT_LIMIT:
        _REPORTED.add((kind, key))
        log.warning("no label for %s code %r; shown as %r", kind, key, fallback)
    return fallback
