"""Object storage: versioned, object-locked, hashed with SM3 and SHA-256 as it streams.

Two backends share one async API (:class:`ObjectStore`): :class:`FilesystemStore`
for the embedded default and :class:`S3Store` (MinIO SDK) for production.
Every ``put`` creates a new version and returns its digests; archived versions
get COMPLIANCE retention with :meth:`ObjectStore.set_retention`, which reads
the retention back before returning it.
"""

from ._errors import InvalidRange, ObjectNotFound, RetentionViolation, StorageError
from ._factory import store_from_settings
from ._filesystem import FilesystemStore
from ._hashing import Digester, Digests, hash_stream
from ._model import (
    ObjectInfo,
    ObjectStore,
    ObjectStream,
    ObjectVersion,
    Retention,
    RetentionMode,
    Source,
    StoredObject,
)
from ._s3 import S3Store

__all__ = [
    "Digester",
    "Digests",
    "FilesystemStore",
    "InvalidRange",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStream",
    "ObjectVersion",
    "Retention",
    "RetentionMode",
    "RetentionViolation",
    "S3Store",
    "Source",
    "StorageError",
    "StoredObject",
    "hash_stream",
    "store_from_settings",
]
