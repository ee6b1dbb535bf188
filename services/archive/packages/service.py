"""Archive packages: a project's documents as a BagIt bag, generated as one tar.

The payload is copied out of the store and re-hashed on the way (a document
whose bytes no longer match its record is refused, never packaged), bagged
with sha256/sha512/SM3 manifests and the archive metadata. The tag files and
the tar's size and digests are recorded in the package row; the tar itself is
not stored (issue 16: each build wrote another locked full copy of every
document). It is generated on download from the locked document versions
(:mod:`services.archive.packages.tarstream`), byte for byte the tar whose
digests were recorded. Packages built before keep their stored tar.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from libs.common.errors import Problem
from libs.common.storage import Digester, ObjectNotFound
from services.archive.documents.service import get_version
from services.archive.models import (
    Attachment,
    Document,
    DocumentVersion,
    Package,
    StoredObject,
    publisher,
)
from services.archive.names import safe_filename
from services.archive.packages import bag, tarstream
from services.archive.storage import ArchiveStorage
from services.archive.vocab import DOCUMENT_TYPES, RETENTION_PERIODS

__all__ = [
    "build_package",
    "extracted_package",
    "get_package",
    "list_packages",
    "package_dict",
    "package_layout",
    "verify_package",
]

_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def _now() -> datetime:
    return datetime.now(UTC)


def _payload_name(seq: int, filename: str) -> str:
    # safe_filename: names stored before issue 16 may still hold U+2028 / U+0085,
    # which would split a manifest line (BagIt tools read manifests line by line).
    safe = _UNSAFE.sub("_", safe_filename(filename)).strip(". ") or "file"
    return f"{seq:04d}-{safe}"[:200]


async def _write_hashed(chunks: AsyncIterator[bytes], path: Path) -> tuple[str, str, int]:
    """Write ``chunks`` to ``path`` as they come, hashing them; return (sha256, sm3, size)."""
    digester = Digester()
    out = await asyncio.to_thread(path.open, "wb")
    try:
        async for chunk in chunks:
            digester.update(chunk)
            await asyncio.to_thread(out.write, chunk)
    finally:
        await asyncio.to_thread(out.close)
    got = digester.digests()
    return got.sha256, got.sm3, got.size


async def _copy_out(storage: ArchiveStorage, obj: StoredObject, path: Path) -> tuple[str, str, int]:
    """Copy one version to ``path``, hashing it; return (sha256, sm3, size)."""
    stream = await storage.store.get(obj.bucket, obj.key, obj.version_id)
    async with stream:
        return await _write_hashed(stream, path)


async def build_package(
    session: AsyncSession,
    storage: ArchiveStorage,
    *,
    tenant: str,
    project_id: uuid.UUID,
    document_ids: list[uuid.UUID] | None,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Bag the current version of each document of the project; record the bag, store no copy."""
    attached = set(
        (
            await session.execute(
                sa.select(Attachment.document_id).where(
                    Attachment.project_id == project_id, Attachment.tenant_id == tenant
                )
            )
        )
        .scalars()
        .all()
    )
    wanted = sorted(attached) if document_ids is None else list(dict.fromkeys(document_ids))
    if not wanted:
        raise Problem.invalid("document_ids", "该项目没有可归档的文件")
    for doc_id in wanted:
        if doc_id not in attached:
            raise Problem.invalid("document_ids", f"文件 {doc_id} 未挂接到项目 {project_id}")
    package_id = uuid7()
    work = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="govproj-pkg-"))
    try:
        bag_dir = work / "bag"
        await asyncio.to_thread(bag_dir.mkdir)
        items: list[dict[str, Any]] = []
        described: list[dict[str, Any]] = []
        sm3s: dict[str, str] = {}
        parts: list[tarstream.ObjectPart] = []
        for index, doc_id in enumerate(wanted, 1):
            document = await session.get(Document, doc_id)
            if document is None:
                raise Problem.not_found("文件", doc_id)
            version, obj = await get_version(session, doc_id, None)
            name = _payload_name(index, version.filename)
            try:
                sha256, sm3, size = await _copy_out(storage, obj, bag_dir / name)
            except ObjectNotFound as exc:
                raise Problem.conflict(
                    "document_missing",
                    "文件内容缺失，不能归档",
                    f"文件 {doc_id} 的版本 {obj.version_id} 在存储中不存在",
                ) from exc
            if (sha256, sm3, size) != (obj.sha256, obj.sm3, obj.size):
                raise Problem.conflict(
                    "document_fixity_failed",
                    "文件固定性校验失败，不能归档",
                    f"文件 {doc_id} 版本 {obj.version_id}：读取到的摘要与登记不符",
                )
            sm3s[name] = sm3
            parts.append(tarstream.ObjectPart(f"data/{name}", obj, size, sha256))
            items.append(
                {
                    "path": f"data/{name}",
                    "document_id": str(doc_id),
                    "version_id": obj.version_id,
                    "size": size,
                    "sha256": sha256,
                    "sm3": sm3,
                }
            )
            described.append(
                {
                    "path": f"data/{name}",
                    "document_id": str(doc_id),
                    "version_id": obj.version_id,
                    "题名": document.title,
                    "文件类型": DOCUMENT_TYPES[document.doc_type],
                    "doc_type": document.doc_type,
                    "文号": document.doc_number,
                    "成文日期": document.doc_date.isoformat(),
                    "责任者": document.author_unit,
                    "密级": document.security_level,
                    "保管期限": RETENTION_PERIODS[document.retention_period],
                    "retention_period": document.retention_period,
                    "filename": version.filename,
                    "content_type": version.content_type,
                    "size": size,
                    "sha256": sha256,
                    "sm3": sm3,
                }
            )
        byte_total = sum(i["size"] for i in items)
        created = _now()
        bag_info = {
            "Source-Organization": tenant,
            "External-Identifier": str(package_id),
            "External-Description": f"政务信息化项目 {project_id} 归档信息包",
            "Bagging-Date": created.date().isoformat(),
            "Bag-Group-Identifier": str(project_id),
            "Internal-Sender-Identifier": actor["id"],
            "Bag-Software-Agent": "GovProj archive (bagit-python)",
        }
        metadata = {
            "package_id": str(package_id),
            "project_id": str(project_id),
            "tenant": tenant,
            "created_at": created.isoformat(),
            "created_by": actor["id"],
            "总件数": len(items),
            "总字节数": byte_total,
            "documents": described,
        }
        made = await asyncio.to_thread(
            bag.make_bag, bag_dir, bag_info=bag_info, metadata=metadata, sm3=sm3s
        )
        for item in items:
            item["sha512"] = made["entries"][item["path"]]["sha512"]
            if made["entries"][item["path"]]["sha256"] != item["sha256"]:
                raise RuntimeError(f"bagit read {item['path']} differently from the copy")
        tag_names = sorted(
            p.relative_to(bag_dir).as_posix()
            for p in bag_dir.rglob("*")
            if p.is_file() and not p.relative_to(bag_dir).as_posix().startswith("data/")
        )
        tags = await asyncio.to_thread(tarstream.local_bytes, bag_dir, tag_names)
        tar = tarstream.layout(str(package_id), tags, parts, mtime=int(created.timestamp()))
        # The digests of the tar as it will be generated on download, from the
        # copies just verified (the same bytes as the locked versions).
        digester = Digester()
        async for chunk in tarstream.stream(
            storage.store, tar, local=lambda part: bag_dir / part.name
        ):
            digester.update(chunk)
        tar_digests = digester.digests()
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    held_until = min(
        (p.obj.retain_until for p in parts if p.obj.retain_until is not None), default=created
    )
    package = Package(
        id=package_id,
        tenant_id=tenant,
        project_id=project_id,
        object_id=None,
        tag_files={name: data.decode("utf-8") for name, data in tags.items()},
        tar_size=tar_digests.size,
        tar_sha256=tar_digests.sha256,
        tar_sm3=tar_digests.sm3,
        item_count=len(items),
        byte_total=byte_total,
        items=items,
        bag_info=made["info"],
        created_by=actor["id"],
        created_at=created,
    )
    await publisher.record(
        session,
        package,
        "package",
        "created",
        data={
            "package_id": str(package_id),
            "project_id": str(project_id),
            "item_count": len(items),
            "byte_total": byte_total,
            # The tar is generated on download (no stored copy): ``key`` is the name
            # it downloads under, ``version_id`` is null, these are the digests of
            # the tar it yields, and ``retention`` is the earliest lock of the
            # versions it is made of (it can be generated at least until then).
            "bucket": storage.bucket_for(tenant),
            "key": f"packages/{project_id}/{package_id}.tar",
            "version_id": None,
            "size": tar_digests.size,
            "sha256": tar_digests.sha256,
            "sm3": tar_digests.sm3,
            "retention": {"mode": "COMPLIANCE", "until": held_until.isoformat()},
            "generated": True,
        },
        actor=actor,
    )
    return package_dict(package, None)


def package_dict(package: Package, obj: StoredObject | None) -> dict[str, Any]:
    return {
        "id": package.id,
        "project_id": package.project_id,
        "item_count": package.item_count,
        "byte_total": package.byte_total,
        "items": package.items,
        "bag_info": package.bag_info,
        "size": obj.size if obj is not None else package.tar_size,
        "sha256": obj.sha256 if obj is not None else package.tar_sha256,
        "sm3": obj.sm3 if obj is not None else package.tar_sm3,
        "version_id": obj.version_id if obj is not None else None,
        "retain_until": obj.retain_until if obj is not None else None,
        "created_by": package.created_by,
        "created_at": package.created_at,
    }


async def get_package(
    session: AsyncSession, package_id: uuid.UUID
) -> tuple[Package, StoredObject | None]:
    """A visible package and its stored tar's row (None: generated on download), else 404."""
    package = await session.get(Package, package_id)
    if package is None:
        raise Problem.not_found("归档信息包", package_id)
    if package.object_id is None:
        return package, None
    obj = await session.get(StoredObject, package.object_id)
    if obj is None:
        raise Problem.not_found("归档信息包", package_id)
    return package, obj


async def list_packages(session: AsyncSession, project_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(Package, StoredObject)
        .outerjoin(StoredObject, StoredObject.id == Package.object_id)
        .where(Package.project_id == project_id)
        .order_by(Package.created_at)
    )
    return [package_dict(p, o) for p, o in rows.tuples()]


class PayloadGone(Exception):
    """A packaged version was disposed of (end of retention): the package cannot be generated."""


async def package_layout(session: AsyncSession, package: Package) -> tarstream.Layout:
    """The tar of a package generated on download, from its row and its documents' rows."""
    parts = []
    for item in package.items:
        row = (
            await session.execute(
                sa.select(StoredObject)
                .join(DocumentVersion, DocumentVersion.object_id == StoredObject.id)
                .where(
                    DocumentVersion.document_id == uuid.UUID(str(item["document_id"])),
                    DocumentVersion.version_id == item["version_id"],
                )
            )
        ).scalar_one_or_none()
        if row is None:
            raise PayloadGone(f"{item['path']}（文件 {item['document_id']}）已不在档案中")
        parts.append(tarstream.ObjectPart(item["path"], row, int(item["size"]), item["sha256"]))
    tags = {name: text.encode("utf-8") for name, text in (package.tag_files or {}).items()}
    return tarstream.layout(str(package.id), tags, parts, mtime=int(package.created_at.timestamp()))


@contextlib.asynccontextmanager
async def extracted_package(
    session: AsyncSession, storage: ArchiveStorage, package: Package, obj: StoredObject | None
) -> AsyncIterator[tuple[Path | None, list[str]]]:
    """Fetch the package tar (stored, or generated), re-hash it, extract it; yield (bag_dir, problems)."""
    work = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="govproj-pkgv-"))
    problems: list[str] = []
    bag_dir: Path | None = None
    try:
        tar_path = work / "package.tar"
        fetched = False
        if obj is not None:
            try:
                sha256, sm3, size = await _copy_out(storage, obj, tar_path)
                fetched = True
            except ObjectNotFound:
                problems.append(f"package: 存储中不存在 {obj.key}（版本 {obj.version_id}）")
            expected: tuple[str | None, str | None, int | None] = (obj.sha256, obj.sm3, obj.size)
            what = obj.key
        else:
            expected = (package.tar_sha256, package.tar_sm3, package.tar_size)
            what = f"{package.id}.tar"
            try:
                sha256, sm3, size = await _write_generated(session, storage, package, tar_path)
                fetched = True
            except PayloadGone as exc:
                problems.append(f"package: 无法生成：{exc}")
            except ObjectNotFound as exc:
                problems.append(f"package: 无法生成：存储中缺少文件版本（{exc}）")
            except tarstream.PayloadChanged as exc:
                problems.append(f"package: 无法生成：{exc}")
        if fetched:
            if (sha256, sm3, size) != expected:
                problems.append(
                    f"package: {what} 的字节与登记不符（size {size}/{expected[2]}，sm3 {sm3}/{expected[1]}）"
                )
            try:
                bag_dir = await asyncio.to_thread(bag.extract_tar, tar_path, work / "x")
            except Exception as exc:  # a tar that no longer reads is itself the finding
                problems.append(f"package: 无法解包：{exc}")
        yield bag_dir, problems
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)


async def _write_generated(
    session: AsyncSession, storage: ArchiveStorage, package: Package, path: Path
) -> tuple[str, str, int]:
    tar = await package_layout(session, package)
    return await _write_hashed(tarstream.stream(storage.store, tar), path)


def compare_with_record(bag_dir: Path, package: Package) -> list[str]:
    """The bag's manifests and Payload-Oxum against what the database recorded."""
    problems: list[str] = []
    current = bag.payload_digests(bag_dir)
    recorded = {i["path"]: i for i in package.items}
    for path in sorted(set(current) - set(recorded)):
        problems.append(f"record: 包内有未登记的文件 {path}")
    for path in sorted(set(recorded) - set(current)):
        problems.append(f"record: 登记的文件 {path} 不在包内")
    for path in sorted(set(current) & set(recorded)):
        for field in ("size", "sha256", "sm3"):
            if current[path][field] != recorded[path][field]:
                problems.append(
                    f"record: {path} 的 {field} 为 {current[path][field]}，数据库记录为 {recorded[path][field]}"
                )
    return problems


async def verify_package(
    session: AsyncSession, storage: ArchiveStorage, package_id: uuid.UUID
) -> dict[str, Any]:
    """Re-read a package: the tar's fixity, the bag (bagit + SM3), and the database record."""
    package, obj = await get_package(session, package_id)
    async with extracted_package(session, storage, package, obj) as (bag_dir, problems):
        if bag_dir is not None:
            problems.extend(await asyncio.to_thread(bag.validate_bag, bag_dir))
            problems.extend(await asyncio.to_thread(compare_with_record, bag_dir, package))
    return {"package_id": package_id, "valid": not problems, "problems": problems}
