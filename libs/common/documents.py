"""A replica of the archive's documents, for services that cite them by id.

Opinions, evidence and reports point at archive documents by id. A service
that accepts such an id checks it against this replica, fed by the archive's
``document.uploaded`` / ``attached`` / ``deleted`` events: the document must be
the tenant's own and filed under the project. (Like the tenant tree, a replica
per service keeps every service answering when the archive is down.)
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import TENANT_ID_LENGTH
from libs.common.errors import Invalid, Problem
from libs.common.events import Event

__all__ = [
    "DOCUMENT_EVENT_TYPES",
    "DOCUMENT_SUBJECT",
    "apply_document_event",
    "check_attachments",
    "check_document",
    "document_table",
]

DOCUMENT_SUBJECT = "govproj.*.archive.document.>"
DOCUMENT_EVENT_TYPES = (
    "govproj.archive.document.uploaded.v1",
    "govproj.archive.document.attached.v1",
    "govproj.archive.document.deleted.v1",
)


def document_table(metadata: MetaData) -> Table:
    """Add the ``documents`` replica to a service's metadata (its own schema; RLS in the migration)."""
    return Table(
        "documents",
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),  # the archive's document id
        sa.Column("tenant_id", sa.String(TENANT_ID_LENGTH), nullable=False, index=True),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("doc_type", sa.String(64), nullable=True),
        sa.Column("project_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def apply_document_event(session: AsyncSession, table: Table, event: Event) -> None:
    """Upsert from an archive document event (idempotent: a redelivery changes nothing)."""
    data = event.data
    doc_id = _uuid(data.get("document_id"))
    if doc_id is None:
        return
    kind = event.type.rsplit(".", 2)[-2]
    row: dict[str, Any] = {
        "id": doc_id,
        "tenant_id": event.tenant,
        "title": str(data["title"])[:500] if data.get("title") else None,
        "doc_type": str(data["doc_type"])[:64] if data.get("doc_type") else None,
        "project_ids": [],
        "deleted": kind == "deleted",
        "updated_at": datetime.now(UTC),
    }
    project = _uuid(data.get("project_id"))
    if project is not None:
        row["project_ids"] = [str(project)]
    stmt = insert(table).values(**row)
    updates: dict[str, Any] = {"updated_at": stmt.excluded.updated_at}
    if kind == "deleted":
        updates["deleted"] = sa.true()
    if row["title"]:
        updates["title"] = stmt.excluded.title
    if row["doc_type"]:
        updates["doc_type"] = stmt.excluded.doc_type
    if project is not None:  # append once
        updates["project_ids"] = sa.case(
            (table.c.project_ids.contains([str(project)]), table.c.project_ids),
            else_=table.c.project_ids.op("||")(sa.cast([str(project)], JSONB)),
        )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_=updates,
            where=table.c.tenant_id == event.tenant,
        )
    )


async def check_attachments(
    session: AsyncSession,
    table: Table,
    ids: Sequence[uuid.UUID],
    *,
    project_id: uuid.UUID,
    field: str = "attachments",
) -> None:
    """422 naming ``field[i]`` unless every id is a live document filed under the project."""
    if not ids:
        return
    rows = {
        r.id: r
        for r in (
            await session.execute(
                sa.select(table.c.id, table.c.project_ids, table.c.deleted).where(
                    table.c.id.in_(list(ids))
                )
            )
        ).all()
    }
    for i, doc_id in enumerate(ids):
        row = rows.get(doc_id)
        if row is None or row.deleted:
            raise Problem.invalid(f"{field}[{i}]", f"电子档案中没有文件 {doc_id}")
        if str(project_id) not in row.project_ids:
            raise Problem.invalid(
                f"{field}[{i}]", f"文件 {doc_id} 未归入本项目档案（请在电子档案中关联本项目）"
            )


async def check_document(
    session: AsyncSession,
    table: Table,
    document_id: uuid.UUID,
    *,
    tenant: str,
    field: str,
    doc_types: Collection[str] | None = None,
) -> None:
    """422 naming ``field`` unless the id is a live document of ``tenant`` of a suitable type.

    A document of another jurisdiction answers exactly like a missing one: the
    caller learns nothing about what the archive of a sibling holds.
    """
    row = (
        await session.execute(
            sa.select(table.c.tenant_id, table.c.doc_type, table.c.deleted).where(
                table.c.id == document_id
            )
        )
    ).first()
    if row is None or row.tenant_id != tenant:
        raise Invalid(field, f"本辖区电子档案中没有文件 {document_id}")
    if row.deleted:
        raise Invalid(field, f"电子档案文件 {document_id} 已删除")
    if doc_types is not None and row.doc_type not in doc_types:
        raise Invalid(
            field,
            f"电子档案文件 {document_id} 的类型为 {row.doc_type}，"
            f"此处应为 {'、'.join(sorted(doc_types))} 之一",
        )
