"""The store the settings ask for."""

from __future__ import annotations

from ..settings import CommonSettings
from ._filesystem import FilesystemStore
from ._model import ObjectStore
from ._s3 import S3Store

__all__ = ["store_from_settings"]


def store_from_settings(settings: CommonSettings) -> ObjectStore:
    """Build the configured store: ``s3``, or ``filesystem`` under ``storage_root``.

    Without ``storage_root`` the filesystem store lives in ``<home>/objects``.
    """
    if settings.storage_backend == "s3":
        return S3Store(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
    return FilesystemStore(settings.storage_root or settings.home / "objects")
