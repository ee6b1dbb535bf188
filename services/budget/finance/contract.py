"""The integration contract with finance (and audit) systems: subjects, types, JSON Schemas.

This module is the single source of the contract: the handlers validate what
finance sends against these schemas, the tests validate what we publish, and
``docs/asyncapi.yaml`` is generated from it (``govproj finance asyncapi``).

Directions are the finance system's point of view, as in AsyncAPI:
``receive`` = the platform publishes on ``govproj.<tenant>.budget.…`` and the
finance system consumes; ``send`` = the finance system publishes on
``finance.<tenant>.…`` (CloudEvents 1.0, binary mode over NATS headers, as every
platform event; ``ce-actor`` names the person or system that answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jsonschema  # type: ignore[import-untyped]  # no stubs; used through two calls

__all__ = ["MESSAGES", "Message", "by_type", "validate"]

_TENANT = {"type": "string", "pattern": "^[0-9]{6}$", "description": "行政区划代码（租户）"}
_UUID = {"type": "string", "format": "uuid"}
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_YUAN = {"type": "integer", "minimum": 0, "maximum": 10**13, "description": "金额（元，整数）"}
_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 4000}
_YEAR = {"type": "integer", "minimum": 2000, "maximum": 2100}
_ARTICLE = {"type": ["string", "null"], "description": "所依据的条款（第N条）"}
_KIND = {
    "type": "string",
    "enum": [
        "construction",
        "supervision",
        "third_party_testing",
        "security_assessment",
        "operations",
    ],
}
_FUNDING = {"type": "string", "enum": ["fiscal", "new_fiscal", "non_fiscal"]}
_LINE_PROPERTIES: dict[str, Any] = {
    "id": _UUID,
    "kind": _KIND,
    "year": {"type": ["integer", "null"]},
    "service_year": {"type": ["integer", "null"]},
    "amount": _YUAN,
    "funding": _FUNDING,
}
_LINE = {
    "type": "object",
    "required": ["kind", "amount"],
    "properties": _LINE_PROPERTIES,
}
_FUNDING_BY_YEAR = {
    "type": "array",
    "description": "分年度资金安排",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["year", "amount"],
        "properties": {"year": _YEAR, "amount": _YUAN},
    },
}


def _obj(
    required: list[str], properties: dict[str, Any], *, closed: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["tenant", *required],
        "properties": {"tenant": _TENANT, **properties},
    }
    if closed:  # what finance sends: an unknown member is a mistake worth refusing
        schema["additionalProperties"] = False
    return schema


_PROJECT = {"project_id": _UUID, "submission": {"type": "integer", "minimum": 1}}


@dataclass(frozen=True)
class Message:
    """One kind of message on the contract."""

    type: str
    subject: str  # with {tenant}
    action: Literal["send", "receive"]
    title: str
    summary: str
    schema: dict[str, Any]

    @property
    def name(self) -> str:
        return self.type.rsplit(".", 1)[0].replace(".", "_")


MESSAGES: tuple[Message, ...] = (
    Message(
        "govproj.budget.finance_review.requested.v1",
        "govproj.{tenant}.budget.finance_review.requested",
        "receive",
        "资金审核请求",
        "审核流程进入资金审核环节：请财政出具资金审核意见和资金安排初步意见（郁南 第十一条第（三）项、"
        "第十二条第（三）项）。答复发往 reply_to.subject。",
        _obj(
            ["review_id", "project_id", "submission", "step_id", "requested_amount", "reply_to"],
            {
                **_PROJECT,
                "review_id": _UUID,
                "workflow_id": _ID,
                "step_id": _ID,
                "decision_id": {"type": ["string", "null"]},
                "route": {"type": "string"},
                "project_name": {"type": ["string", "null"]},
                "requested_amount": _YUAN,
                "project_class": {"type": ["string", "null"]},
                "new_fiscal_funds": {"type": ["boolean", "null"]},
                "lines": {"type": "array", "items": _LINE},
                "article": _ARTICLE,
                "explanation": {"type": ["string", "null"]},
                "reply_to": {
                    "type": "object",
                    "required": ["subject", "type"],
                    "properties": {"subject": {"type": "string"}, "type": {"type": "string"}},
                },
            },
        ),
    ),
    Message(
        "finance.budget.review.answered.v1",
        "finance.{tenant}.review.answered",
        "send",
        "资金审核意见",
        "财政对资金审核请求的答复：审核结论、核定金额（不超过申请金额）、意见、分年度资金安排。"
        "不合规的答复进入死信（附原因），不产生任何变化。",
        _obj(
            ["review_id", "project_id", "outcome", "approved_amount", "opinion", "answered_by"],
            {
                **_PROJECT,
                "review_id": _UUID,
                "step_id": _ID,
                "outcome": {"type": "string", "enum": ["approve", "return", "reject"]},
                "approved_amount": _YUAN,
                "opinion": _TEXT,
                "funding_by_year": _FUNDING_BY_YEAR,
                "answered_by": {"type": "string", "minLength": 1, "maxLength": 200},
                "answered_on": _DATE,
            },
            closed=True,
        ),
    ),
    Message(
        "govproj.budget.finance_review.completed.v1",
        "govproj.{tenant}.budget.finance_review.completed",
        "receive",
        "资金审核完成",
        "平台已记录财政的资金审核意见；审批服务据此完成资金审核环节。",
        _obj(
            [
                "project_id",
                "submission",
                "step_id",
                "outcome",
                "approved_amount",
                "opinion",
                "funding_by_year",
                "answered_by",
            ],
            {
                **_PROJECT,
                "review_id": _UUID,
                "workflow_id": _ID,
                "step_id": _ID,
                "outcome": {"type": "string", "enum": ["approve", "return", "reject"]},
                "requested_amount": _YUAN,
                "approved_amount": _YUAN,
                "opinion": _TEXT,
                "funding_by_year": _FUNDING_BY_YEAR,
                "answered_by": {"type": "string"},
            },
        ),
    ),
    Message(
        "govproj.budget.finance_review.closed.v1",
        "govproj.{tenant}.budget.finance_review.closed",
        "receive",
        "资金审核请求已关闭",
        "财政部门已在审批流程中直接办理资金审核环节：该请求无需再答复（再答复将进入死信）。",
        _obj(
            ["review_id", "project_id", "submission", "step_id", "outcome", "approved_amount"],
            {
                **_PROJECT,
                "review_id": _UUID,
                "step_id": _ID,
                "outcome": {"type": "string", "enum": ["approve", "return", "reject"]},
                "approved_amount": _YUAN,
                "reason": {"type": "string"},
            },
        ),
    ),
    Message(
        "finance.budget.arrangement.notified.v1",
        "finance.{tenant}.arrangement.notified",
        "send",
        "预算安排情况通报",
        "财政将政务信息化项目年度预算安排情况通报政务服务数据管理部门（坡头 第十五条）。",
        _obj(
            ["notice_no", "year", "notified_on", "notified_by", "items"],
            {
                "notice_no": {"type": "string", "minLength": 1, "maxLength": 100},
                "year": _YEAR,
                "notified_on": _DATE,
                "notified_by": {"type": "string", "minLength": 1, "maxLength": 200},
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["project_id", "amount"],
                        "properties": {"project_id": _UUID, "amount": _YUAN, "funding": _FUNDING},
                    },
                },
            },
            closed=True,
        ),
    ),
    Message(
        "govproj.budget.arrangement.recorded.v1",
        "govproj.{tenant}.budget.arrangement.recorded",
        "receive",
        "预算安排已登记",
        "平台已登记一份预算安排情况通报中的项目安排。",
        _obj(
            ["notice_no", "year", "items"],
            {
                "notice_no": {"type": "string"},
                "year": _YEAR,
                "notified_on": _DATE,
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["project_id", "amount"],
                        "properties": {"project_id": _UUID, "amount": _YUAN, "funding": _FUNDING},
                    },
                },
            },
        ),
    ),
    Message(
        "finance.budget.payment.disbursed.v1",
        "finance.{tenant}.payment.disbursed",
        "send",
        "资金支付",
        "国库集中支付完成一笔项目资金支付；凭证号唯一，重复投递不会重复记账。",
        _obj(
            ["voucher_no", "project_id", "line_kind", "amount", "paid_on"],
            {
                "voucher_no": {"type": "string", "minLength": 1, "maxLength": 100},
                "project_id": _UUID,
                "line_kind": _KIND,
                "year": {"type": ["integer", "null"]},
                "amount": {**_YUAN, "minimum": 1},
                "paid_on": _DATE,
                "contract_id": {"type": ["string", "null"], "format": "uuid"},
            },
            closed=True,
        ),
    ),
    Message(
        "govproj.budget.disbursement.recorded.v1",
        "govproj.{tenant}.budget.disbursement.recorded",
        "receive",
        "资金支付已记录",
        "一笔项目资金支付已记入预算科目（来源：平台登记或财政支付通知）。",
        _obj(
            ["project_id", "disbursement_id", "line_id", "amount", "paid_on", "voucher_no"],
            {
                **_PROJECT,
                "disbursement_id": _UUID,
                "line_id": _UUID,
                "line_kind": _KIND,
                "amount": _YUAN,
                "paid_on": _DATE,
                "voucher_no": {"type": "string"},
                "contract_id": {"type": ["string", "null"]},
                "source": {"type": "string", "enum": ["api", "finance"]},
                "disbursed_total": _YUAN,
            },
        ),
    ),
    Message(
        "govproj.budget.usage.reported.v1",
        "govproj.{tenant}.budget.usage.reported",
        "receive",
        "资金使用情况报告",
        "建设单位定期将项目资金使用情况报财政（坡头 第十五条）。",
        _obj(
            ["project_id", "report_id", "period_start", "period_end", "figures"],
            {
                **_PROJECT,
                "report_id": _UUID,
                "period_start": _DATE,
                "period_end": _DATE,
                "article": _ARTICLE,
                "narrative": {"type": ["string", "null"]},
                "figures": {
                    "type": "object",
                    "required": [
                        "budget_total",
                        "arranged_total",
                        "disbursed_in_period",
                        "disbursed_total",
                        "surplus_returned_total",
                        "by_line",
                    ],
                    "properties": {
                        "budget_total": _YUAN,
                        "arranged_total": _YUAN,
                        "disbursed_in_period": _YUAN,
                        "disbursed_total": _YUAN,
                        "surplus_returned_total": _YUAN,
                        "by_line": {"type": "array"},
                    },
                },
            },
        ),
    ),
    Message(
        "govproj.budget.surplus.returned.v1",
        "govproj.{tenant}.budget.surplus.returned",
        "receive",
        "结余资金退回",
        "项目总投资有结余，结余资金按原渠道退回（莱州 第十九条第一款）。",
        _obj(
            ["project_id", "surplus_id", "amount", "returned_on", "channel", "voucher_no"],
            {
                **_PROJECT,
                "surplus_id": _UUID,
                "amount": _YUAN,
                "returned_on": _DATE,
                "channel": {"type": "string", "enum": ["original"]},
                "voucher_no": {"type": "string"},
                "article": _ARTICLE,
            },
        ),
    ),
    Message(
        "govproj.budget.line.recorded.v1",
        "govproj.{tenant}.budget.line.recorded",
        "receive",
        "预算科目已编报",
        "项目的一条预算科目（建设、监理、第三方测试、安全评估计入总投资；运维分年度）。",
        _obj(["project_id", "id", "kind", "amount"], {**_PROJECT, **_LINE_PROPERTIES}),
    ),
    Message(
        "govproj.budget.line.adjusted.v1",
        "govproj.{tenant}.budget.line.adjusted",
        "receive",
        "资金调整",
        "科目之间调剂（总额不变），累计计入自行调整上限（莱州 第十九条第二款）。",
        _obj(
            ["project_id", "id", "from_line_id", "to_line_id", "amount", "adjusted_total"],
            {
                **_PROJECT,
                "id": _UUID,
                "from_line_id": _UUID,
                "to_line_id": _UUID,
                "amount": _YUAN,
                "reason": _TEXT,
                "article": _ARTICLE,
                "adjusted_total": _YUAN,
                "adjustment_cap": {"type": ["integer", "null"]},
            },
        ),
    ),
    Message(
        "govproj.budget.project.procurement_started.v1",
        "govproj.{tenant}.budget.project.procurement_started",
        "receive",
        "启动采购",
        "已立项或已备案的项目启动采购（登记服务将项目转为采购中）。",
        _obj(
            ["project_id", "submission", "procurement_id", "method", "started_on"],
            {
                **_PROJECT,
                "procurement_id": _UUID,
                "method": {"type": "string"},
                "started_on": _DATE,
                "reason": {"type": "string"},
            },
        ),
    ),
    Message(
        "govproj.budget.project.contracted.v1",
        "govproj.{tenant}.budget.project.contracted",
        "receive",
        "签订合同",
        "项目签订合同（首份合同使项目进入实施）。",
        _obj(
            ["project_id", "submission", "contract_id", "supplier", "amount", "signed_on"],
            {
                **_PROJECT,
                "contract_id": _UUID,
                "supplier": {"type": "string"},
                "amount": _YUAN,
                "signed_on": _DATE,
                "document_id": _UUID,
                "reason": {"type": "string"},
            },
        ),
    ),
)

_BY_TYPE = {m.type: m for m in MESSAGES}
_VALIDATORS = {
    m.type: jsonschema.Draft202012Validator(
        m.schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for m in MESSAGES
}


def by_type(event_type: str) -> Message:
    """The contract's message of a CloudEvents type (KeyError when not on the contract)."""
    return _BY_TYPE[event_type]


def validate(event_type: str, data: dict[str, Any]) -> str | None:
    """Why ``data`` breaks the schema of ``event_type`` (the first error, with its path), or None."""
    errors = sorted(_VALIDATORS[event_type].iter_errors(data), key=lambda e: list(e.path))
    if not errors:
        return None
    err = errors[0]
    where = "/".join(str(p) for p in err.absolute_path) or "(root)"
    return f"schema: {where}: {err.message}"
