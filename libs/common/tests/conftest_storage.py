"""Fixtures for the storage tests: both backends, and the local S3 server behind one.

Kept out of ``conftest.py`` (shared, owned elsewhere); test modules import them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from libs.common.storage import FilesystemStore, ObjectStore
from libs.common.testing.s3server import S3Server

__all__ = ["bucket", "s3_server", "store"]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """ministack from its own venv (or ``GOVPROJ_TEST_S3_ENDPOINT``), once per session."""
    with S3Server() as server:
        yield server


@pytest.fixture(params=["filesystem", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStore]:
    """Each storage test runs against the embedded filesystem store and real S3."""
    if request.param == "filesystem":
        backend: ObjectStore = FilesystemStore(tmp_path / "objects")
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        backend = server.store()
    yield backend
    await backend.aclose()


@pytest.fixture
async def bucket(store: ObjectStore) -> str:
    """A fresh bucket with object lock (hence versioning) for one test."""
    name = f"t-{uuid.uuid4().hex[:20]}"
    await store.ensure_bucket(name, object_lock=True)
    return name
