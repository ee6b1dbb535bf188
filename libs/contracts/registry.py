"""Events the registry publishes: the tenant tree, units, projects, the system catalog, plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from libs.contracts._base import Contract, Day, Id, TenantCode, TenantPayload, Yuan, platform

__all__ = ["CONTRACTS"]


class TenantChanged(TenantPayload):
    """A jurisdiction of the tenant tree as the registry holds it (version grows by one)."""

    code: TenantCode
    name: str
    level: Literal["province", "city", "county"]
    parent_code: TenantCode | None
    version: int = Field(ge=1)
    updated_at: datetime


class UnitCreated(TenantPayload):
    id: Id
    name: str
    credit_code: str | None = Field(default=None, description="统一社会信用代码")


class ProjectState(TenantPayload):
    """The project as every registry project event carries it."""

    project_id: Id
    unit_id: Id
    name: str
    year: int
    amount: Yuan
    state: str
    version: int = Field(ge=1)


class ProjectCreated(ProjectState):
    facts: dict[str, Any] = Field(description="申报信息（政策判定所依据的事实）")


class ProjectUpdated(ProjectState):
    changed: list[str] = Field(description="改动的字段")


class ProjectSubmitted(ProjectState):
    submission: int = Field(ge=1)
    submitted_on: Day
    facts: dict[str, Any]


class ProjectStateChanged(ProjectState):
    from_: str = Field(alias="from")
    to: str
    trigger: str = Field(description="引起变化的事件类型或操作")
    route: str | None = None
    reason: str | None = None
    cause_event_id: str | None = Field(default=None, description="引起变化的事件 id")


class SystemState(TenantPayload):
    """A 政务信息系统 of the catalog with its compliance facts."""

    system_id: Id
    unit_id: Id
    name: str
    state: str
    version: int = Field(ge=1)
    shares_data: bool
    duplicate_collection: bool
    crypto_compliant: bool
    security_compliant: bool
    secure_reliable: bool
    hosted_on_gov_cloud: bool


class SystemRegistered(SystemState):
    unit_count_grows: bool = Field(description="本单位系统总量是否增加（“只减不增”）")


class SystemUpdated(SystemState):
    changed: list[str]


class SystemStateChanged(SystemState):
    from_: str = Field(alias="from")
    to: str


class SystemDecommissioned(SystemStateChanged):
    disposition: str = Field(description="数据处置方式")
    evidence_document_id: str | None = None
    reason: str | None = None


class DemandSubmitted(TenantPayload):
    plan_id: Id
    year: int
    item_id: Id
    unit_id: Id
    name: str
    amount: Yuan


class DemandMarked(TenantPayload):
    """One item excluded from (or restored to) the plan before consolidation."""

    plan_id: Id
    year: int
    item_id: Id
    name: str


class PlanConsolidated(TenantPayload):
    plan_id: Id
    year: int
    included: list[Id]
    excluded: list[Id]
    total_amount: Yuan


def _c(
    aggregate: str, event: str, payload: type[TenantPayload], title: str, summary: str
) -> Contract:
    return platform("registry", aggregate, event, payload, title, summary)


CONTRACTS: tuple[Contract, ...] = (
    _c(
        "tenant",
        "created",
        TenantChanged,
        "辖区已创建",
        "租户树新增一个行政区；各服务据此维护副本。",
    ),
    _c(
        "tenant",
        "updated",
        TenantChanged,
        "辖区已更新",
        "行政区名称、级别或上级变化（version 递增）。",
    ),
    _c("unit", "created", UnitCreated, "建设单位已登记", "登记一个建设单位。"),
    _c("project", "created", ProjectCreated, "项目草稿已创建", "建设单位创建项目草稿。"),
    _c("project", "updated", ProjectUpdated, "项目已修改", "草稿或退回的项目被修改。"),
    _c(
        "project",
        "submitted",
        ProjectSubmitted,
        "项目已申报",
        "项目申报，附政策判定所需事实；审批服务据此判定路径。",
    ),
    _c(
        "project",
        "state_changed",
        ProjectStateChanged,
        "项目状态已变化",
        "项目生命周期的一次迁移（触发事件及原因）。",
    ),
    _c(
        "system",
        "registered",
        SystemRegistered,
        "政务信息系统已登记",
        "政务信息系统目录新增一个系统。",
    ),
    _c("system", "updated", SystemUpdated, "政务信息系统已修改", "目录中系统的信息被修改。"),
    _c("system", "state_changed", SystemStateChanged, "政务信息系统状态已变化", "系统投入运行。"),
    _c(
        "system",
        "decommissioned",
        SystemDecommissioned,
        "政务信息系统已停用",
        "系统停用，附数据处置方式和证明材料（莱州 第三十八条）。",
    ),
    _c(
        "plan",
        "demand_submitted",
        DemandSubmitted,
        "年度计划需求已申报",
        "建设单位申报年度计划需求。",
    ),
    _c(
        "plan",
        "demand_excluded",
        DemandMarked,
        "年度计划需求已排除",
        "汇总前，政务服务数据管理部门将一项需求排除出年度计划。",
    ),
    _c(
        "plan",
        "demand_restored",
        DemandMarked,
        "年度计划需求已恢复",
        "汇总前，政务服务数据管理部门恢复一项此前排除的需求。",
    ),
    _c(
        "plan",
        "consolidated",
        PlanConsolidated,
        "年度计划已汇总",
        "年度计划汇总：纳入与未纳入的需求。",
    ),
)
