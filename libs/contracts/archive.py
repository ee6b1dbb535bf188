"""Events the archive publishes: documents, packages, 四性检测, archive acceptance, fixity.

Archive payloads do not repeat the tenant: ``ce-tenant`` and the subject carry it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from libs.contracts._base import Contract, Id, Part, Payload, platform

__all__ = ["CONTRACTS"]

Classification = Literal["changed", "missing", "untracked"]


class Retention(Part):
    mode: str = Field(description="对象锁定模式（COMPLIANCE / GOVERNANCE）")
    until: str = Field(description="保留至（ISO 8601）")


class StoredCopy(Payload):
    """Where an object landed in the object store, with its fixity (SM3 + SHA-256)."""

    bucket: str
    key: str
    version_id: str | None = None
    size: int = Field(ge=0)
    sha256: str
    sm3: str
    retention: Retention


class Uploaded(StoredCopy):
    document_id: Id
    title: str
    doc_type: str
    seq: int = Field(ge=1, description="版本序号")
    filename: str
    legal_hold: bool
    project_id: Id | None = Field(
        default=None, description="上传时归入的项目（首个版本随项目上传时）"
    )


class Attached(Payload):
    document_id: Id
    project_id: Id
    step_id: str | None = None


class LegalHold(Payload):
    document_id: Id
    version_id: str | None = None


class Deleted(Payload):
    document_id: Id


class PackageCreated(StoredCopy):
    package_id: Id
    project_id: Id
    item_count: int = Field(ge=0)
    byte_total: int = Field(ge=0)


class CheckCompleted(Payload):
    report_id: Id
    package_id: Id
    project_id: Id
    stage: str
    acceptable: bool
    summary: dict[str, Any]


class ManualRecorded(Payload):
    report_id: Id
    package_id: Id
    project_id: Id
    item: str
    outcome: str
    note: str | None = None
    acceptable: bool


class ArchiveAcceptance(Payload):
    acceptance_id: Id
    project_id: Id
    package_id: Id
    report_id: Id
    stage: str
    outcome: Literal["passed", "failed"]
    item_count: int = Field(ge=0)
    byte_total: int = Field(ge=0)
    reasons: list[dict[str, Any]]


class FixityAudited(Payload):
    audit_id: Id
    verified: int = Field(ge=0)
    ok: int = Field(ge=0)
    changed: int = Field(ge=0)
    missing: int = Field(ge=0)
    untracked: int = Field(ge=0)


class FixityFinding(Payload):
    audit_id: Id
    object_id: Id | None = None
    bucket: str
    key: str
    version_id: str | None = None
    location: str | None = None
    detail: str | None = None


def _c(aggregate: str, event: str, payload: type[Payload], title: str, summary: str) -> Contract:
    return platform("archive", aggregate, event, payload, title, summary)


CONTRACTS: tuple[Contract, ...] = (
    _c("document", "uploaded", Uploaded, "文件已归档", "上传一份文件（或新版本），已锁定保留期。"),
    _c("document", "attached", Attached, "文件已归入项目", "文件归入项目档案（可指明审核环节）。"),
    _c("document", "legal_hold_set", LegalHold, "已设置法律保全", "文件版本设置法律保全。"),
    _c("document", "legal_hold_lifted", LegalHold, "已解除法律保全", "文件版本解除法律保全。"),
    _c("document", "deleted", Deleted, "文件已删除", "文件被标记删除（保留期内对象仍在）。"),
    _c("package", "created", PackageCreated, "归档包已生成", "项目归档信息包已生成并锁定。"),
    _c("check_report", "completed", CheckCompleted, "四性检测已完成", "归档包四性检测的结果。"),
    _c(
        "check_report",
        "manual_recorded",
        ManualRecorded,
        "人工检测项已记录",
        "四性检测中需人工判定的一项已记录。",
    ),
    _c("acceptance", "passed", ArchiveAcceptance, "档案验收通过", "移交与接收环节档案验收通过。"),
    _c("acceptance", "failed", ArchiveAcceptance, "档案验收不通过", "档案验收不通过，附原因。"),
    _c("fixity", "audited", FixityAudited, "固定性巡检已完成", "一次固定性巡检的结果计数。"),
    *(
        _c("fixity", c, FixityFinding, title, "固定性巡检发现的一个问题对象。")
        for c, title in (
            ("changed", "对象内容已改变"),
            ("missing", "对象缺失"),
            ("untracked", "存储中有未登记对象"),
        )
    ),
)
