"""Project API payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.common.types import PlainText

Relation = Literal["build", "operate", "upgrade"]
# Dates the registry counts with stay within a plausible span of government work.
RegistryDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Year = Annotated[int, Field(ge=2000, le=2100, description="建设年度（所属年度计划）")]


class SystemLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system_id: uuid.UUID = Field(description="政务信息系统目录中的系统编号")
    relation: Relation = Field(description="build 新建 / operate 运行维护、运营 / upgrade 升级改造")


class UncataloguedSystem(BaseModel):
    """A system the project runs or upgrades that is not in the 政务信息系统目录."""

    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=200, description="系统名称")
    relation: Literal["operate", "upgrade"] = Field(
        description="operate 运行维护、运营 / upgrade 升级改造"
    )


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=r"^[0-9+\-() ]{5,30}$")
    role: PlainText | None = Field(default=None, max_length=50)


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: RegistryDate | None = Field(default=None, description="计划开工日期")
    end: RegistryDate | None = Field(default=None, description="计划完工日期")

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end 不能早于 start")
        return self


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=200, description="项目名称")
    unit_id: uuid.UUID = Field(description="建设单位（本辖区）")
    year: Year
    description: str | None = Field(default=None, max_length=4000)
    contacts: list[Contact] = Field(default_factory=list, max_length=20)
    schedule: Schedule = Field(default_factory=Schedule)
    facts: dict[str, Any] = Field(
        description="项目事实（vocabulary.md 的代码）；systems、in_annual_plan、submitted_on 由登记服务确定"
    )
    systems: list[SystemLink] = Field(default_factory=list, max_length=100)
    uncatalogued_systems: list[UncataloguedSystem] = Field(
        default_factory=list, max_length=100, description="未纳入政务信息系统目录的系统（按名称）"
    )
    demand_item_id: uuid.UUID | None = Field(default=None, description="对应的年度需求计划条目")


class ProjectUpdate(BaseModel):
    """Fields to change (absent ones stay); ``facts`` replaces the facts as a whole."""

    model_config = ConfigDict(extra="forbid")

    name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    unit_id: uuid.UUID | None = None
    year: Year | None = None
    description: str | None = Field(default=None, max_length=4000)
    contacts: list[Contact] | None = Field(default=None, max_length=20)
    schedule: Schedule | None = None
    facts: dict[str, Any] | None = None
    systems: list[SystemLink] | None = Field(default=None, max_length=100)
    uncatalogued_systems: list[UncataloguedSystem] | None = Field(default=None, max_length=100)
    demand_item_id: uuid.UUID | None = None


class ProjectSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submitted_on: RegistryDate | None = Field(
        default=None, description="申报日期（默认今天，不得晚于今天）；决定适用的政策版本"
    )


class ProjectTerminate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: PlainText = Field(min_length=1, max_length=1000, description="终止原因")


class LinkRead(BaseModel):
    system_id: uuid.UUID
    relation: Relation


class ProjectRead(BaseModel):
    id: uuid.UUID
    tenant_id: str
    unit_id: uuid.UUID
    name: str
    description: str | None
    contacts: list[dict[str, Any]]
    schedule: dict[str, Any]
    year: int
    facts: dict[str, Any]
    amount: int
    systems: list[LinkRead]
    uncatalogued_systems: list[dict[str, Any]]
    demand_item_id: uuid.UUID | None
    state: str
    state_label: str
    route: str | None
    in_annual_plan: bool | None
    submitted_on: date | None
    submission: int
    submitted_facts: dict[str, Any] | None
    decision: dict[str, Any] | None
    decision_problem: dict[str, Any] | None
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class ProjectPage(BaseModel):
    items: list[ProjectRead]
    next_cursor: str | None = Field(description="下一页的游标；为空表示没有更多")


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    from_state: str | None
    to_state: str
    trigger: str
    event_id: str
    actor: dict[str, Any]
    reason: str | None
    at: datetime


class TransitionRead(BaseModel):
    source: str
    target: str
    trigger: str
    routes: list[str]
