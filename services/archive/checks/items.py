"""The automatic checks the catalogue names. Each returns one ``(outcome, detail)`` per subject.

A check gets a :class:`CheckContext` (the package, its documents, the bag as
extracted from the store) and returns a list of detail records, each with an
``outcome`` of pass / fail / not_run; the runner folds them into the item's outcome.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from services.archive.checks import formats
from services.archive.checks.scanner import VirusScanner
from services.archive.models import Document, DocumentVersion, Package, StoredObject
from services.archive.packages import bag
from services.archive.packages.service import compare_with_record
from services.archive.storage import ArchiveStorage
from services.archive.vocab import (
    ARCHIVAL_FORMATS,
    DOCUMENT_TYPES,
    RETENTION_PERIODS,
    SECURITY_LEVELS,
)

__all__ = ["CHECKS", "CheckContext", "DocumentEntry"]

Detail = dict[str, Any]
#: What a check says of one subject: its outcome and the words a person reads.
Verdict = tuple[str, str]
T = TypeVar("T")
#: A packaged version whose file is not in the extracted bag.
MISSING = "包内缺少该文件"


@dataclass
class DocumentEntry:
    """One packaged document: its rows and where its bytes sit in the extracted bag."""

    document: Document
    version: DocumentVersion
    obj: StoredObject
    item: dict[str, Any]  # the package's record of it (path, digests)

    @property
    def subject(self) -> str:
        """The version a detail speaks of: ``<document id>@<version id>``."""
        return f"{self.document.id}@{self.obj.version_id}"


@dataclass
class CheckContext:
    package: Package
    package_obj: StoredObject | None  # None: the tar is generated, not stored (issue 16)
    entries: list[DocumentEntry]
    bag_dir: Path | None
    bag_problems: list[str]  # from fetching and extracting the package
    storage: ArchiveStorage
    scanner: VirusScanner
    _cache: dict[str, Any] = field(default_factory=dict)

    def path_of(self, entry: DocumentEntry) -> Path | None:
        if self.bag_dir is None:
            return None
        path = self.bag_dir / entry.item["path"]
        return path if path.is_file() else None

    async def payload(self) -> dict[str, dict[str, Any]]:
        if "payload" not in self._cache:
            self._cache["payload"] = (
                {}
                if self.bag_dir is None
                else await asyncio.to_thread(bag.payload_digests, self.bag_dir)
            )
        payload: dict[str, dict[str, Any]] = self._cache["payload"]
        return payload

    async def inspected(self, entry: DocumentEntry) -> formats.Inspection | None:
        """Format and open test of one payload file, in a limited child process (once)."""
        key = f"inspect:{entry.item['path']}"
        if key not in self._cache:
            path = self.path_of(entry)
            self._cache[key] = None if path is None else await formats.inspect(path)
        found: formats.Inspection | None = self._cache[key]
        return found

    async def identified(self, entry: DocumentEntry) -> str | None:
        found = await self.inspected(entry)
        return None if found is None else found.format


def _d(outcome: str, subject: str, detail: str) -> Detail:
    return {"outcome": outcome, "subject": subject, "detail": detail}


def _no_bag(ctx: CheckContext) -> list[Detail]:
    return [_d("fail", str(ctx.package.id), "; ".join(ctx.bag_problems) or "信息包无法读取")]


def _package_verdict(ctx: CheckContext, problems: list[str], passed: str) -> list[Detail]:
    """One failure per problem found in the package as a whole, else one pass."""
    if problems:
        return [_d("fail", str(ctx.package.id), p) for p in problems]
    return [_d("pass", str(ctx.package.id), passed)]


def _figures_agree(ctx: CheckContext, figures: dict[str, int | None]) -> list[Detail]:
    """Pass when every way of counting the package gives the same figure; all are listed."""
    ok = len(set(figures.values())) == 1
    listed = "，".join(f"{k} {v}" for k, v in figures.items())
    return [_d("pass" if ok else "fail", str(ctx.package.id), listed)]


def _document_verdict(
    document: Document, wrong: list[str], heading: str, passed: str, *, sep: str = "、"
) -> Detail:
    """A document fails with what is ``wrong`` with it listed after ``heading``, else passes."""
    if wrong:
        return _d("fail", str(document.id), heading + sep.join(wrong))
    return _d("pass", str(document.id), passed)


async def _judge_each(
    subjects: Iterable[tuple[str, T]], judge: Callable[[T], Awaitable[Verdict]]
) -> list[Detail]:
    """One detail per ``(subject, thing)``: the outcome and words ``judge`` gives the thing."""
    out = []
    for subject, thing in subjects:
        outcome, detail = await judge(thing)
        out.append(_d(outcome, subject, detail))
    return out


def _versions(ctx: CheckContext) -> list[tuple[str, DocumentEntry]]:
    """Each packaged version with the subject its details speak of."""
    return [(e.subject, e) for e in ctx.entries]


async def fixity(ctx: CheckContext) -> list[Detail]:
    if ctx.bag_dir is None:
        return _no_bag(ctx)
    payload = await ctx.payload()

    async def judge(e: DocumentEntry) -> Verdict:
        path = e.item["path"]
        got = payload.get(path)
        if got is None:
            return "fail", f"{path} 不在包内"
        if (got["size"], got["sha256"], got["sm3"]) != (e.obj.size, e.obj.sha256, e.obj.sm3):
            return "fail", f"{path} 摘要与入库时登记不符（SM3 {got['sm3']}，登记 {e.obj.sm3}）"
        return "pass", f"SM3 {got['sm3']} 与 SHA-256 复核一致"

    return await _judge_each(_versions(ctx), judge)


async def metadata_values(ctx: CheckContext) -> list[Detail]:
    out = []
    for e in ctx.entries:
        d = e.document
        bad = [
            f"{name}={value}"
            for name, value, allowed in (
                ("doc_type", d.doc_type, DOCUMENT_TYPES),
                ("security_level", d.security_level, SECURITY_LEVELS),
                ("retention_period", d.retention_period, RETENTION_PERIODS),
            )
            if value not in allowed
        ]
        out.append(_document_verdict(d, bad, "值域外：", "值域符合", sep=", "))
    return out


async def format_match(ctx: CheckContext) -> list[Detail]:
    async def judge(e: DocumentEntry) -> Verdict:
        declared = formats.declared_format(e.version.filename, e.version.content_type)
        found = await ctx.identified(e)
        if ctx.path_of(e) is None:
            return "fail", MISSING
        if found is None:
            return "fail", f"无法从内容识别格式（申报 {declared}）"
        if declared != found:
            return "fail", f"内容识别为 {found}，与申报类型 {declared} 不符"
        return "pass", f"内容识别为 {found}，与申报一致"

    return await _judge_each(_versions(ctx), judge)


async def package_consistency(ctx: CheckContext) -> list[Detail]:
    if ctx.bag_dir is None:
        return _no_bag(ctx)
    problems = await asyncio.to_thread(compare_with_record, ctx.bag_dir, ctx.package)
    for e in ctx.entries:
        if (e.item["sha256"], e.item["sm3"], e.item["size"]) != (
            e.obj.sha256,
            e.obj.sm3,
            e.obj.size,
        ):
            problems.append(f"record: {e.item['path']} 的包记录与文件登记不符")
    return _package_verdict(ctx, problems, "清单、包记录与文件登记一致")


def _oxum(ctx: CheckContext) -> tuple[int, int] | None:
    raw = str(ctx.package.bag_info.get("Payload-Oxum", ""))
    if ctx.bag_dir is not None:
        info = ctx.bag_dir / "bag-info.txt"
        if info.is_file():
            for line in info.read_text(encoding="utf-8").splitlines():
                if line.startswith("Payload-Oxum:"):
                    raw = line.split(":", 1)[1].strip()
    try:
        octets, count = raw.split(".")
        return int(octets), int(count)
    except ValueError:
        return None


async def item_count(ctx: CheckContext) -> list[Detail]:
    payload = await ctx.payload()
    oxum = _oxum(ctx)
    return _figures_agree(
        ctx,
        {
            "登记总件数": ctx.package.item_count,
            "包记录条目": len(ctx.package.items),
            "包内文件数": len(payload),
            "Payload-Oxum": oxum[1] if oxum else None,
        },
    )


async def byte_total(ctx: CheckContext) -> list[Detail]:
    payload = await ctx.payload()
    oxum = _oxum(ctx)
    return _figures_agree(
        ctx,
        {
            "登记总字节数": ctx.package.byte_total,
            "文件登记之和": sum(e.obj.size for e in ctx.entries),
            "包内字节数": sum(p["size"] for p in payload.values()),
            "Payload-Oxum": oxum[0] if oxum else None,
        },
    )


async def required_metadata(ctx: CheckContext) -> list[Detail]:
    out = []
    for e in ctx.entries:
        d = e.document
        missing = [
            label
            for label, value in (
                ("题名", d.title),
                ("文件类型", d.doc_type),
                ("成文日期", d.doc_date),
                ("责任者", d.author_unit),
                ("密级", d.security_level),
                ("保管期限", d.retention_period),
            )
            if value in (None, "")
        ]
        out.append(_document_verdict(d, missing, "缺少：", "必填项齐全"))
    return out


async def bag_valid(ctx: CheckContext) -> list[Detail]:
    if ctx.bag_dir is None:
        return _no_bag(ctx)
    problems = list(ctx.bag_problems) + await asyncio.to_thread(bag.validate_bag, ctx.bag_dir)
    return _package_verdict(
        ctx, problems, "BagIt sha256/sha512 清单、标签清单与 SM3 清单均校验通过"
    )


async def archival_format(ctx: CheckContext) -> list[Detail]:
    async def judge(e: DocumentEntry) -> Verdict:
        found = await ctx.identified(e)
        if found in ARCHIVAL_FORMATS:
            return "pass", f"格式 {found}"
        return "fail", f"格式 {found or '未知'}，不属于长期保存格式"

    return await _judge_each(_versions(ctx), judge)


async def open_test(ctx: CheckContext) -> list[Detail]:
    async def judge(e: DocumentEntry) -> Verdict:
        found = await ctx.inspected(e)  # None when the bag lacks the file
        return (found.outcome, found.detail) if found is not None else ("fail", MISSING)

    return await _judge_each(_versions(ctx), judge)


async def metadata_readable(ctx: CheckContext) -> list[Detail]:
    if ctx.bag_dir is None:
        return _no_bag(ctx)
    try:
        meta = json.loads((ctx.bag_dir / bag.METADATA_FILE).read_text(encoding="utf-8"))
        listed = {d["path"] for d in meta["documents"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [_d("fail", str(ctx.package.id), f"{bag.METADATA_FILE} 无法读取：{exc}")]
    missing = sorted({i["path"] for i in ctx.package.items} - listed)
    if missing:
        return [_d("fail", str(ctx.package.id), f"元数据缺少 {', '.join(missing)}")]
    return [_d("pass", str(ctx.package.id), f"{bag.METADATA_FILE} 可读，著录 {len(listed)} 件")]


async def virus_scan(ctx: CheckContext) -> list[Detail]:
    out = []
    for e in ctx.entries:
        path = ctx.path_of(e)
        subject = e.subject
        if path is None:
            out.append(_d("not_run", subject, f"{MISSING}，未扫描"))
            continue
        result = await ctx.scanner.scan(path)
        detail = _d(result.outcome, subject, result.detail)
        if result.database is not None:
            detail["virus_database"] = result.database
        out.append(detail)
    return out


async def security_level(ctx: CheckContext) -> list[Detail]:
    return [
        _d(
            "pass" if e.document.security_level in SECURITY_LEVELS else "fail",
            str(e.document.id),
            f"密级 {SECURITY_LEVELS.get(e.document.security_level, e.document.security_level)}",
        )
        for e in ctx.entries
    ]


async def retention_lock(ctx: CheckContext) -> list[Detail]:
    now = datetime.now(UTC)
    objects = [(e.subject, e.obj) for e in ctx.entries]
    if ctx.package_obj is not None:  # a package built before issue 16 has a stored tar
        objects.append((f"package {ctx.package.id}", ctx.package_obj))

    async def judge(obj: StoredObject) -> Verdict:
        try:
            got = await ctx.storage.store.get_retention(obj.bucket, obj.key, obj.version_id)
        except Exception as exc:  # missing object or store error: not locked as far as we can tell
            return "fail", f"无法读取对象锁：{exc}"
        if got is None or got.mode != "COMPLIANCE" or got.until <= now:
            return "fail", f"对象锁为 {got}，应为 COMPLIANCE 且未到期"
        if obj.retain_until is not None and got.until < obj.retain_until:
            return (
                "fail",
                f"锁定至 {got.until.isoformat()}，早于登记的 {obj.retain_until.isoformat()}",
            )
        return "pass", f"COMPLIANCE 锁定至 {got.until.date()}"

    return await _judge_each(objects, judge)


CHECKS: dict[str, Callable[[CheckContext], Awaitable[list[Detail]]]] = {
    "fixity": fixity,
    "metadata_values": metadata_values,
    "format_match": format_match,
    "package_consistency": package_consistency,
    "item_count": item_count,
    "byte_total": byte_total,
    "required_metadata": required_metadata,
    "bag_valid": bag_valid,
    "archival_format": archival_format,
    "open_test": open_test,
    "metadata_readable": metadata_readable,
    "virus_scan": virus_scan,
    "security_level": security_level,
    "retention_lock": retention_lock,
}
