"""Dependencies the archive's routes share: storage, the authorization model's actions, keys.

``Reader`` admits every role of a visible jurisdiction; an external expert still never
reads a document marked 内部 (documents/api.py, ADR 0008).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from libs.common.auth import Access, permit
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from libs.common.routes import BureauDecider, Reader
from services.archive.models import idempotency_keys
from services.archive.storage import ArchiveStorage

__all__ = [
    "BUSY",
    "PROBLEMS",
    "Auditor",
    "BureauDecider",
    "Checker",
    "Idem",
    "Reader",
    "Storage",
    "Writer",
    "archive_storage",
]

PROBLEMS = problem_responses(s400="请求格式错误")
#: The answer of a heavy task (a package built, verified or checked) when the tenant's slot
#: is taken (limits.heavy).
BUSY: dict[int | str, dict[str, Any]] = {429: {"description": "档案服务繁忙"}}

#: Depositing documents, new versions, attachments and packages: a unit for its own
#: projects, the bureau for every unit of its jurisdiction (ADR 0008).
Writer = Annotated[Access, Depends(permit("document.write"))]
#: Running 四性检测 on a package.
Checker = Annotated[Access, Depends(permit("archive.check"))]
#: Who runs a fixity audit now (the bureau's custody, the auditor's finding).
Auditor = Annotated[Access, Depends(permit("archive.audit"))]
#: ``Idempotency-Key`` on the archive's JSON POSTs (uploads use intake.UploadKey).
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]


# async: FastAPI runs a plain `def` dependency in its thread pool, a hop per request.
async def archive_storage(request: Request) -> ArchiveStorage:
    """The process's archive storage (built at start-up from the settings)."""
    storage: ArchiveStorage = request.app.state.archive_storage
    return storage


Storage = Annotated[ArchiveStorage, Depends(archive_storage)]
