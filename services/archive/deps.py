"""Dependencies the archive's routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from libs.common.http import problem_responses
from services.archive.storage import ArchiveStorage

__all__ = ["PROBLEMS", "WRITERS", "Storage", "archive_storage"]

#: Who may deposit documents and build packages in their own jurisdiction.
WRITERS = ("unit_officer", "bureau_officer")

PROBLEMS = problem_responses(s400="请求格式错误")


def archive_storage(request: Request) -> ArchiveStorage:
    """The process's archive storage (built at start-up from the settings)."""
    storage: ArchiveStorage = request.app.state.archive_storage
    return storage


Storage = Annotated[ArchiveStorage, Depends(archive_storage)]
