"""``label(kind, code)``: the one way a code becomes words a person reads."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

from libs.vocab import (
    _acceptance,
    _archive,
    _budget,
    _events,
    _fields,
    _policy,
    _problems,
    _project,
    _workflow,
)

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
    "extension_state",
    "draw_state",
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
        "state": (_project.STATE_LABELS, "其他状态"),
        "budget_status": (_project.BUDGET_STATUS_LABELS, "其他状态"),
        "route": (_policy.ROUTE_LABELS, "其他管理方式"),
        "role": (_policy.ROLE_LABELS, "其他角色"),
        "stage": (_policy.STAGE_LABELS, "其他阶段"),
        "requirement": (_policy.REQUIREMENT_LABELS, "其他要求"),
        "time_limit": (_policy.TIME_LIMIT_LABELS, "其他期限"),
        "from": (_policy.FROM_LABELS, "其他起算点"),
        "fact": (_policy.FACT_LABELS, "其他项目信息"),
        "value": (_policy.VALUE_LABELS, "其他"),
        "project_class": (_policy.PROJECT_CLASSES, "其他类别"),
        "category": (_policy.CATEGORIES, "其他分类"),
        "service_type": (_policy.SERVICE_TYPES, "其他服务类型"),
        "funding": (_budget.LINE_FUNDING, "其他资金来源"),  # the project's sources and 财政新增资金
        "excluded_kind": (_policy.EXCLUDED_KINDS, "其他排除情形"),
        "relation": (_policy.RELATIONS, "其他关系"),
        "system_state": (_project.SYSTEM_STATES, "其他状态"),
        "disposition": (_project.DISPOSITIONS, "其他处置方式"),
        "plan_state": (_project.PLAN_STATES, "其他状态"),
        "plan_item_state": (_project.PLAN_ITEM_STATES, "其他状态"),
        "change_kind": (_project.CHANGE_KINDS, "其他调整或变更"),
        "change_state": (_project.CHANGE_STATES, "其他状态"),
        "step": (_workflow.STEP_LABELS, "其他审核环节"),
        "step_state": (_workflow.STEP_STATES, "其他状态"),
        "workflow_state": (_workflow.WORKFLOW_STATES, "其他状态"),
        "opinion": (_workflow.OPINION_OUTCOMES, "其他意见"),
        "budget_line": (_budget.BUDGET_LINES, "其他费用"),
        "procurement_method": (_budget.PROCUREMENT_METHODS, "其他采购方式"),
        "finance_review_state": (_budget.FINANCE_REVIEW_STATES, "其他状态"),
        "review_mode": (_acceptance.REVIEW_MODES, "其他审核方式"),
        "review_state": (_acceptance.REVIEW_STATES, "其他状态"),
        "acceptance_outcome": (_acceptance.ACCEPTANCE_OUTCOMES, "其他结论"),
        "evaluation_kind": (_acceptance.EVALUATION_KINDS, "其他评价"),
        "deadline_state": (_acceptance.DEADLINE_STATES, "其他状态"),
        "deadline_notice": (_acceptance.DEADLINE_NOTICES, "其他通知"),
        "extension_state": (_acceptance.EXTENSION_STATES, "其他状态"),
        "draw_state": (_acceptance.DRAW_STATES, "其他状态"),
        "document_type": (_archive.DOCUMENT_TYPES, "其他文件"),
        "security_level": (_archive.SECURITY_LEVELS, "其他密级"),
        "retention_period": (_archive.RETENTION_PERIODS, "其他保管期限"),
        "check_property": (_archive.CHECK_PROPERTIES, "其他检测属性"),
        "check_stage": (_archive.CHECK_STAGES, "其他检测环节"),
        "check_item": (_archive.CHECK_ITEMS, "其他检测项"),
        "check_outcome": (_archive.CHECK_OUTCOMES, "其他结果"),
        "fixity_finding": (_archive.FIXITY_FINDINGS, "其他巡检发现"),
        "virus_database": (_archive.VIRUS_DATABASES, "其他病毒库"),
        "archive_acceptance_outcome": (_archive.ARCHIVE_ACCEPTANCE_OUTCOMES, "其他结论"),
        "event": (_events.EVENT_LABELS, "其他操作"),
        "trigger": (
            MappingProxyType({**_events.EVENT_LABELS, **_events.TRIGGER_LABELS}),
            "其他操作",
        ),
        "problem": (_problems.PROBLEM_LABELS, "操作未能完成"),
        "field": (_fields.FIELD_LABELS, "其他信息"),
        "pack_status": (_policy.PACK_STATUSES, "其他状态"),
        "pack_section": (_policy.PACK_SECTIONS, "其他内容"),
        "diff_kind": (_policy.DIFF_KINDS, "其他差异"),
        "tenant_level": (_policy.TENANT_LEVELS, "其他层级"),
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
