"""JSON Schemas (2020-12) of the events the acceptance service publishes.

The registry's lifecycle and any city or audit consumer rely on these fields;
the service tests validate every event the service writes against them.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["SCHEMAS", "schema_for"]

_DATE = {"type": "string", "format": "date"}
_UUID = {"type": "string", "format": "uuid"}
_TENANT = {"type": "string", "pattern": "^[0-9]{6}$"}
# A document as libs.gongwen lays it out (the archive files it as PDF): see libs/contracts.
_OFFICIAL = {"type": "object", "required": ["issuer", "title", "paragraphs", "signed_on"]}

_PROJECT: Final[dict[str, Any]] = {
    "tenant": _TENANT,
    "project_id": _UUID,
    "submission": {"type": "integer", "minimum": 1},
    "route": {"type": ["string", "null"]},
}
_DEADLINE: Final[dict[str, Any]] = {
    **_PROJECT,
    "deadline_id": _UUID,
    "code": {"type": "string"},
    "due_on": _DATE,
    "calendar_known": {"type": "boolean"},
    "article": {"type": "string", "minLength": 1},
    "policy": {"type": ["string", "null"]},
    "explanation": {"type": ["string", "null"]},
}


def _obj(props: dict[str, Any], *required: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": props,
        "required": sorted(set(required)),
    }


_P = ("tenant", "project_id", "submission")
_D = (*_P, "deadline_id", "code", "due_on", "article")

SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "project.completed": _obj(
        {**_PROJECT, "completed_on": _DATE, "reason": {"type": "string"}},
        *_P,
        "completed_on",
        "reason",
    ),
    "project.review_requested": _obj(
        {
            **_PROJECT,
            "review_id": _UUID,
            "mode": {"enum": ["conformity_review", "self_check"]},
            "reviewer_role": {"type": "string"},
            "article": {"type": ["string", "null"]},
            "items": {"type": "array"},
            "reason": {"type": "string"},
        },
        *_P,
        "review_id",
        "mode",
        "reviewer_role",
        "items",
        "reason",
    ),
    "project.review_returned": _obj({**_PROJECT, "reason": {"type": "string"}}, *_P, "reason"),
    "project.accepted": _obj(
        {
            **_PROJECT,
            "acceptance_id": _UUID,
            "accepted_on": _DATE,
            "report_document_id": _UUID,
            "outcome": {"const": "passed"},
            "report_to": {"type": ["string", "null"]},
            "reason": {"type": "string"},
        },
        *_P,
        "acceptance_id",
        "accepted_on",
        "report_document_id",
        "reason",
    ),
    "project.in_operation": _obj({**_PROJECT, "in_operation_on": _DATE}, *_P, "in_operation_on"),
    "project.evaluated": _obj(
        {**_PROJECT, "evaluation_id": _UUID, "reason": {"type": "string"}},
        *_P,
        "evaluation_id",
        "reason",
    ),
    "review.item_updated": _obj(
        {**_PROJECT, "review_id": _UUID, "item": {"type": "object"}}, *_P, "review_id", "item"
    ),
    "review.passed": _obj(
        {**_PROJECT, "review_id": _UUID, "items": {"type": "array"}}, *_P, "review_id", "items"
    ),
    "acceptance.recorded": _obj(
        {
            **_PROJECT,
            "acceptance_id": _UUID,
            "outcome": {"enum": ["passed", "failed"]},
            "held_on": _DATE,
            "expert_opinions": {"type": "array", "minItems": 1},
            "official": _OFFICIAL,
        },
        *_P,
        "acceptance_id",
        "outcome",
        "held_on",
        "expert_opinions",
        "report_document_id",
    ),
    "deadline.scheduled": _obj(
        {**_DEADLINE, "anchor": {"type": "string"}, "anchor_on": _DATE}, *_D, "anchor", "anchor_on"
    ),
    "deadline.reminder": _obj(
        {**_DEADLINE, "days_left": {"type": "integer", "minimum": 0}}, *_D, "days_left", "as_of"
    ),
    "deadline.overdue": _obj(
        {
            **_DEADLINE,
            "days_overdue": {"type": "integer", "minimum": 1},
            "overseen_by": {"type": "array", "items": _TENANT},
        },
        *_D,
        "days_overdue",
        "overseen_by",
        "as_of",
    ),
    "deadline.met": _obj(
        {**_DEADLINE, "met_on": _DATE, "late": {"type": "boolean"}}, *_D, "met_on", "late"
    ),
    "deadline.extension_requested": _obj(
        {**_DEADLINE, "extension_id": _UUID, "requested_until": _DATE},
        *_D,
        "extension_id",
        "requested_until",
        "reason",
    ),
    "deadline.extension_granted": _obj(
        {**_DEADLINE, "extension_id": _UUID, "previous_due_on": _DATE},
        *_D,
        "extension_id",
        "opinion",
    ),
    "deadline.extension_refused": _obj(
        {**_DEADLINE, "extension_id": _UUID}, *_D, "extension_id", "opinion"
    ),
    "evaluation.submitted": _obj(
        {
            **_PROJECT,
            "evaluation_id": _UUID,
            "kind": {
                "enum": ["self_evaluation", "performance_evaluation", "post_evaluation", "standard"]
            },
            "article": {"type": "string"},
            "report_document_id": _UUID,
            "submitted_on": _DATE,
            "official": _OFFICIAL,
        },
        *_P,
        "evaluation_id",
        "kind",
        "article",
        "report_document_id",
        "submitted_on",
    ),
    "draw.committed": _obj(
        {
            "tenant": _TENANT,
            "draw_id": _UUID,
            "year": {"type": "integer"},
            "status": {"const": "committed"},
            "commitment": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "count": {"type": "integer", "minimum": 1},
            "evaluator_pool": {"type": "array", "items": {"type": "string"}},
            "evaluator_count": {"type": "integer", "minimum": 0},
            "method": {"type": "string"},
        },
        "tenant",
        "draw_id",
        "year",
        "commitment",
        "count",
        "evaluator_pool",
        "evaluator_count",
        "method",
    ),
    "draw.drawn": _obj(
        {
            "tenant": _TENANT,
            "draw_id": _UUID,
            "seed": {"type": "string", "minLength": 8},
            "commitment": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "project_pool": {"type": "array", "items": _UUID},
            "projects": {"type": "array", "items": _UUID},
            "evaluator_pool": {"type": "array"},
            "evaluators": {"type": "array"},
        },
        "tenant",
        "draw_id",
        "seed",
        "commitment",
        "project_pool",
        "projects",
        "evaluator_pool",
        "evaluators",
    ),
}


def schema_for(event_type: str) -> dict[str, Any]:
    """The schema of ``govproj.acceptance.<aggregate>.<event>.v1``."""
    name = ".".join(event_type.split(".")[2:4])
    return SCHEMAS[name]
