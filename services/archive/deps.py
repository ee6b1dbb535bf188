"""Dependencies the archive's routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.archive.storage import ArchiveStorage

__all__ = ["PROBLEMS", "WRITERS", "Storage", "archive_storage"]

#: Who may deposit documents and build packages in their own jurisdiction.
WRITERS = ("unit_officer", "bureau_officer")

PROBLEMS: dict[int | str, dict[str, str]] = {
    400: {"description": "请求格式错误"},
    401: {"description": "未认证"},
    403: {"description": "无权执行此操作"},
    404: {"description": "不存在"},
    409: {"description": "冲突"},
    422: {"description": "输入不合法"},
}


def archive_storage(request: Request) -> ArchiveStorage:
    """The process's archive storage (built at start-up from the settings)."""
    storage: ArchiveStorage = request.app.state.archive_storage
    return storage


Storage = Annotated[ArchiveStorage, Depends(archive_storage)]
