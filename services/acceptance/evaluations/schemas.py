"""Evaluation reports and the 双随机 draw as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from services.acceptance.schemas import Read, Short, Text, Write

__all__ = [
    "DrawCreate",
    "DrawRead",
    "DrawVerificationRead",
    "EvaluationCreate",
    "EvaluationRead",
    "RegisterEntryRead",
]

Kind = Literal["self_evaluation", "performance_evaluation", "post_evaluation", "standard"]


class EvaluationCreate(Write):
    kind: Kind = Field(
        description="self_evaluation 自评价 / performance_evaluation 绩效评价 / "
        "post_evaluation 绩效后评估 / standard 标准"
    )
    report_document_id: uuid.UUID = Field(description="电子档案中的报告（标准文本为 other）")
    submitted_on: date = Field(description="提交（发布）日期，不得晚于今天")
    summary: Text = Field(description="摘要")
    rating: Short | None = Field(default=None, description="评价等级")
    draw_id: uuid.UUID | None = Field(default=None, description="绩效后评估：抽中本项目的抽取记录")


class EvaluationRead(Read):
    id: uuid.UUID
    kind: Kind
    report_document_id: uuid.UUID
    submitted_on: date
    summary: str
    rating: str | None
    draw_id: uuid.UUID | None
    article: str | None
    recorded_by: dict[str, Any]


class DrawCreate(Write):
    """Commit the year's draw. Seed, pool and subset are not the caller's to give (refused)."""

    year: int = Field(ge=2000, le=2100, description="评估年度（每辖区每年一次抽取）")
    count: int = Field(ge=1, le=1000, description="抽取项目数")
    evaluator_pool: list[Short] = Field(
        default_factory=list, max_length=1000, description="评估人员库（承诺时固定）"
    )
    evaluator_count: int = Field(default=0, ge=0, le=100, description="抽取评估人员数")


class DrawRead(Read):
    draw_id: uuid.UUID
    tenant_id: str
    year: int
    status: Literal["committed", "drawn", "legacy"] = Field(
        description="committed 已承诺（种子未公开）/ drawn 已抽取（种子已公开）/ legacy 旧式抽取"
    )
    commitment: str | None = Field(description="种子的 SHA-256（承诺时公布）")
    seed: str | None = Field(description="随机种子：抽取后公开，此前为 null")
    method: str
    count: int
    evaluator_count: int
    project_pool: list[str] = Field(description="抽取时从项目库固定的可抽取项目")
    projects: list[str]
    evaluator_pool: list[str]
    evaluators: list[str]
    article: str | None
    committed_by: dict[str, Any] | None
    committed_at: datetime | None
    drawn_by: dict[str, Any] | None
    drawn_at: datetime | None


class DrawListed(DrawRead):
    """A draw in the list: its picked projects named and, once drawn, its re-check, so a
    page of draws is one call, not one per draw or per project."""

    project_names: dict[str, str] = Field(
        default_factory=dict, description="抽中项目的名称（按项目编号；调用者不可见的项目不列）"
    )
    verification: DrawVerificationRead | None = Field(
        default=None, description="复核结果（已抽取的才有，同 /v1/draws/{id}/verification）"
    )


class RegisterEntryRead(Read):
    """A project a draw may pick: accepted, and its decision allows a post-evaluation."""

    project_id: uuid.UUID
    name: str | None
    state: str
    article: str = Field(description="依据条款（莱州 第三十四条）")


class DrawVerificationRead(Read):
    draw_id: uuid.UUID
    commitment_matches: bool | None = Field(
        description="公开的种子与承诺的 SHA-256 一致（legacy 无承诺：null）"
    )
    reproduced: bool = Field(description="按公开的种子与留存的项目库重算，结果一致")
    within_pool: bool
    projects: list[str]
    evaluators: list[str]
