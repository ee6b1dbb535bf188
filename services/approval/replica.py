"""Copies of other services' aggregates that the approval service keeps from their events.

- The registry's tenant tree (``models.tenants``), applied for every service by
  :mod:`libs.common.service`.
- The archive's documents (``models.documents``): opinions cite them as
  attachments, and only a live document filed under the project may be cited.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.documents import DOCUMENT_EVENT_TYPES, DOCUMENT_SUBJECT, apply_document_event
from libs.common.events import Event
from services.approval.models import documents

__all__ = ["DOCUMENT_EVENT_TYPES", "DOCUMENT_SUBJECT", "on_document"]


async def on_document(session: AsyncSession, event: Event) -> None:
    """Apply ``govproj.archive.document.*`` to the documents replica."""
    await apply_document_event(session, documents, event)
