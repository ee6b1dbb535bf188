"""The documents the archive files by itself for a project, filed or still waiting (issue 18)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, Field

from libs.common.errors import NotFound
from libs.common.service import DbSession
from services.archive.deps import PROBLEMS, Reader
from services.archive.documents.official import FILED_AS
from services.archive.models import OfficialFiling, Project
from services.archive.replica import project_scope

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["documents"], responses=PROBLEMS)


class OfficialFilingRead(BaseModel):
    """One issued document: what it is, and the archived copy once filed."""

    id: uuid.UUID = Field(description="签发方的文件标识（批复、验收记录、评价记录或检测报告）")
    kind: str = Field(description="approval / filing / acceptance / evaluation / check_report")
    doc_type: str = Field(description="归档的文件类型（受控词表）")
    retention_period: str = Field(description="保管期限（受控词表）")
    title: str
    number: str | None = Field(description="发文字号；报告与记录没有")
    issuer: str
    signed_on: date
    received_at: datetime
    document_id: uuid.UUID | None = Field(description="归档后的电子文件；尚未归档为空")
    filed_at: datetime | None
    last_error: str | None = Field(description="上次归档未成功的原因（下一轮重试）")


@router.get(
    "/projects/{project_id}/official-documents",
    response_model=list[OfficialFilingRead],
    summary="项目自动归档的公文与报告（立项批复/备案确认、验收结论、评价报告封面、四性检测报告）",
)
async def list_official_documents(
    project_id: uuid.UUID, access: Reader, session: DbSession
) -> list[OfficialFilingRead]:
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound("项目", project_id)
    access.check_read(project_scope(project))
    rows = await session.scalars(
        sa.select(OfficialFiling)
        .where(OfficialFiling.project_id == project_id)
        .order_by(OfficialFiling.received_at, OfficialFiling.id)
    )
    return [
        OfficialFilingRead(
            id=f.id,
            kind=f.kind,
            doc_type=FILED_AS[f.kind][0],
            retention_period=FILED_AS[f.kind][1],
            title=str(f.content.get("title") or ""),
            number=f.content.get("number") or None,
            issuer=str(f.content.get("issuer") or ""),
            signed_on=f.content["signed_on"],
            received_at=f.received_at,
            document_id=f.document_id,
            filed_at=f.filed_at,
            last_error=f.last_error,
        )
        for f in rows.all()
    ]
