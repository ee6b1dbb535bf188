"""Copies of other services' aggregates the registry keeps from their events.

The archive's documents (libs/common/documents.py): a catalog entry's disposal
evidence (莱州 第三十八条) must be a live document of the caller's own
jurisdiction, checked here rather than by asking the archive, so the registry
answers while the archive is down.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.documents import DOCUMENT_EVENT_TYPES, DOCUMENT_SUBJECT, apply_document_event
from libs.common.events import Event
from services.registry.models import documents

__all__ = ["DOCUMENT_EVENT_TYPES", "DOCUMENT_SUBJECT", "on_document"]


async def on_document(session: AsyncSession, event: Event) -> None:
    """Keep the replica of one archive document."""
    await apply_document_event(session, documents, event)
