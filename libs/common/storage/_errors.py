"""The errors every object store raises, whatever its backend."""

from __future__ import annotations

__all__ = ["InvalidRange", "ObjectNotFound", "RetentionViolation", "StorageError"]


class StorageError(Exception):
    """Something went wrong in the object store (the base of every storage error)."""


class ObjectNotFound(StorageError):
    """The bucket, the key or the version asked for does not exist."""

    def __init__(self, bucket: str, key: str | None = None, version_id: str | None = None) -> None:
        self.bucket = bucket
        self.key = key
        self.version_id = version_id
        where = bucket if key is None else f"{bucket}/{key}"
        if version_id is not None:
            where += f" (version {version_id})"
        super().__init__(f"object not found: {where}")


class RetentionViolation(StorageError):
    """The operation would delete, overwrite or shorten the protection of a locked version."""

    def __init__(self, bucket: str, key: str, version_id: str | None, reason: str) -> None:
        self.bucket = bucket
        self.key = key
        self.version_id = version_id
        self.reason = reason
        super().__init__(f"{bucket}/{key} (version {version_id}) is protected: {reason}")


class InvalidRange(StorageError, ValueError):
    """The byte range asked for is empty, reversed or starts past the end of the object."""
