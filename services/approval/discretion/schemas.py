"""Request and response bodies of the discretion routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText


class ExceptionCreate(BaseModel):
    """An exception to a softened rule for one project: the rule and the written reason."""

    model_config = ConfigDict(extra="forbid")

    project_id: uuid.UUID
    project_name: Annotated[PlainText, Field(min_length=1, max_length=200)] = Field(
        description="项目名称（显示用）"
    )
    rule: str = Field(
        pattern=r"^(scope|requirements|time_limits)\.[a-z][a-z0-9_]*$",
        description="决定例外的规则（判定中的规则标识，如 scope.ineligible_not_in_catalog）",
    )
    reason: Annotated[PlainText, Field(min_length=4, max_length=2000)] = Field(
        description="书面理由"
    )


class ExceptionRead(BaseModel):
    """An exception granted, as the decision and the audit trail cite it."""

    id: uuid.UUID
    tenant: str
    project_id: uuid.UUID
    project_name: str
    pack_id: str
    rule: str
    article: str
    authority: str = Field(description="决定例外的机关")
    reason: str
    granted_on: date
    granted_at: datetime


class ExceptionCount(BaseModel):
    """Exceptions granted by one jurisdiction in one year (the city's dashboard)."""

    tenant: str
    year: int
    count: int


class ParameterCreate(BaseModel):
    """A value for a parameter the text leaves to the authority, with the document setting it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="参数名（政策包中的参数）")
    value: int | str | bool = Field(description="参数值（金额为整数元）")
    document: Annotated[PlainText, Field(min_length=2, max_length=200)] = Field(
        description="设定该参数的文件文号"
    )
    document_date: date = Field(description="文件日期")
    effective_from: date = Field(description="自该日起申报的项目适用")


class ParameterRead(BaseModel):
    """A parameter value as recorded (values never change: a new row supersedes)."""

    id: uuid.UUID
    tenant: str
    name: str
    label: str
    article: str
    value: int | str | bool
    document: str
    document_date: date
    effective_from: date
    recorded_at: datetime


class ImpactCreate(BaseModel):
    """A candidate pack (YAML, the tenant's own) to try on the stored submissions."""

    model_config = ConfigDict(extra="forbid")

    pack: str = Field(min_length=10, max_length=500_000, description="拟议政策包（YAML 文本）")
    since: date | None = Field(default=None, description="只分析该日期及以后申报的项目")
