"""Archive packages (BagIt + SM3), the 四性检测 catalogue and archive acceptance."""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.errors import Problem
from libs.common.testing.clamd import clamd_binary, start_clamd
from services.archive.checks import service as checks
from services.archive.checks.catalogue import load_catalogue, parse_catalogue
from services.archive.checks.items import CHECKS
from services.archive.checks.report import render_report
from services.archive.checks.scanner import ClamdScanner, NoScanner, database_of
from services.archive.models import Package
from services.archive.packages import service as packages
from services.archive.packages import tarstream
from services.archive.storage import ArchiveStorage
from services.archive.tests import samples
from services.archive.tests.conftest import actor, in_tenant
from services.archive.tests.support import (
    CleanScanner,
    project_with,
    record_manual,
    result,
    transfer_check,
)


def test_catalogue_is_data_and_refuses_unknown_checks() -> None:
    catalogue = load_catalogue()
    assert {i.property for i in catalogue.items} == {
        "authenticity",
        "integrity",
        "usability",
        "security",
    }
    assert all(i.standard.startswith("DA/T 70") for i in catalogue.items)
    with pytest.raises(ValueError, match="unknown check"):
        parse_catalogue(
            {
                "items": [
                    {
                        "id": "X",
                        "property": "integrity",
                        "name": "n",
                        "standard": "s",
                        "stages": ["transfer"],
                        "blocking": True,
                        "check": "nope",
                    }
                ]
            },
            set(CHECKS),
        )


async def test_package_is_a_valid_bag_with_sm3_manifest_and_totals(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage, tmp_path: Path
) -> None:
    pdf, ofd = samples.pdf(), samples.ofd()
    _, package = await project_with(sessions, storage, [("验收报告.pdf", pdf), ("合同.ofd", ofd)])
    assert package["item_count"] == 2
    assert package["byte_total"] == len(pdf) + len(ofd)
    assert package["bag_info"]["Payload-Oxum"] == f"{len(pdf) + len(ofd)}.2"
    async with in_tenant(sessions) as session:
        verdict = await packages.verify_package(session, storage, package["id"])
    assert verdict == {"package_id": package["id"], "valid": True, "problems": []}
    # No copy of the documents is stored: the tar is generated from the locked versions.
    listed = await storage.store.list_versions(storage.bucket_for("445322"), "packages/")
    assert listed == []
    async with in_tenant(sessions) as session:
        row = await session.get(Package, package["id"])
        assert row is not None
        generated = await packages.package_layout(session, row)
    data = b"".join([c async for c in tarstream.stream(storage.store, generated)])
    assert len(data) == generated.size == package["size"]
    assert hashlib.sha256(data).hexdigest() == package["sha256"]
    (tmp_path / "p.tar").write_bytes(data)
    with tarfile.open(tmp_path / "p.tar") as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames()}
    assert {
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "manifest-sm3.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sm3.txt",
        "archive-metadata.json",
        "data/0001-验收报告.pdf",
        "data/0002-合同.ofd",
    } <= names


async def test_acceptance_passes_only_when_every_item_ran(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    project, package = await project_with(
        sessions,
        storage,
        [("a.pdf", samples.pdf()), ("b.ofd", samples.ofd()), ("c.png", samples.png())],
    )
    async with in_tenant(sessions) as session:
        passed = await checks.accept_archive(
            session,
            storage,
            CleanScanner(),
            tenant="445322",
            project_id=project,
            package_id=package["id"],
            actor=actor(),
        )
        failed = await checks.accept_archive(
            session,
            storage,
            NoScanner(),
            tenant="445322",
            project_id=project,
            package_id=package["id"],
            actor=actor(),
        )
        types = (
            (
                await session.execute(
                    sa.text("SELECT type FROM archive.outbox WHERE payload->>'package_id' = :p"),
                    {"p": str(package["id"])},
                )
            )
            .scalars()
            .all()
        )
    assert passed["outcome"] == "passed", passed["reasons"]
    assert failed["outcome"] == "failed"
    assert [r["item"] for r in failed["reasons"]] == ["SECU-01"]
    assert failed["reasons"][0]["outcome"] == "not_run"
    assert "govproj.archive.acceptance.passed.v1" in types
    assert "govproj.archive.acceptance.failed.v1" in types


@pytest.mark.parametrize("store", ["filesystem"], indirect=True)
async def test_format_mismatch_and_unreadable_files_fail_their_items(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    _, package = await project_with(
        sessions,
        storage,
        [
            ("good.pdf", samples.pdf()),
            ("picture.pdf", samples.png()),  # declared PDF, the bytes are a PNG
            ("broken.pdf", b"%PDF-1.7\n1 0 obj garbage"),
            ("hollow.ofd", samples.ofd(with_document=False)),
        ],
    )
    async with in_tenant(sessions) as session:
        report = await transfer_check(session, storage, CleanScanner(), package)
    mismatch = result(report, "AUTH-03")
    assert mismatch["outcome"] == "fail"
    assert [d["outcome"] for d in mismatch["details"]] == ["pass", "fail", "pass", "pass"]
    assert "png" in mismatch["details"][1]["detail"]
    opened = result(report, "USAB-02")
    assert [d["outcome"] for d in opened["details"]] == ["pass", "pass", "fail", "fail"]
    assert "Document.xml" in opened["details"][3]["detail"]
    assert not report.acceptable
    titles = {str(i["document_id"]): f"文件{n}" for n, i in enumerate(package["items"])}
    html = render_report(
        checks.report_dict(report),
        project_name="郁南县政务服务平台升级",
        package={"created_at": package["created_at"], "tar_sm3": package.get("tar_sm3")},
        titles=titles,
    )
    assert "电子档案“四性”检测报告" in html and "不符合档案验收条件" in html
    # People read the project's name, the files' 题名, Beijing time and counts: no ids, no lists.
    assert "项目：郁南县政务服务平台升级" in html and "《文件1》" in html
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", html), html
    assert "['" not in html and "+00:00" not in html


@pytest.fixture(scope="module")
def clamd_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A clamd of our own with one signature (EICAR, by hash): no signature download needed."""
    if clamd_binary() is None:
        pytest.skip("ClamAV (clamd) is not installed: the scanner is optional")
    clamd = start_clamd(tmp_path_factory.mktemp("clamd"))
    if clamd is None:
        pytest.skip("clamd did not start")
    yield str(clamd.socket)
    clamd.stop()


async def test_clamav_finds_the_eicar_test_file(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage, clamd_socket: str
) -> None:
    _, package = await project_with(
        sessions, storage, [("clean.pdf", samples.pdf()), ("eicar.pdf", samples.EICAR)]
    )
    async with in_tenant(sessions) as session:
        report = await transfer_check(session, storage, ClamdScanner(socket=clamd_socket), package)
    virus = result(report, "SECU-01")
    assert virus["outcome"] == "fail"
    assert [d["outcome"] for d in virus["details"]] == ["pass", "fail"]
    assert "Eicar" in virus["details"][1]["detail"]
    # clamd loaded only the test signature: the report says so, JSON and printed.
    read = checks.report_dict(report)
    assert read["virus_database"] == "test_only"
    assert "开发环境：病毒库仅含测试特征码" in render_report(read)


def test_only_a_version_naming_a_signature_database_is_official() -> None:
    assert database_of("ClamAV 1.4.6/27480/Thu Dec  3 09:30:00 2026\n") == "official"
    # Local signature files only (dev up's EICAR test signature): no database version.
    assert database_of("ClamAV 1.4.6") == "test_only"
    assert database_of("ClamAV 1.4.6/0/") == "test_only"


async def test_a_report_scanned_without_a_scanner_names_no_database(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    _, package = await project_with(sessions, storage, [("a.pdf", samples.pdf())])
    async with in_tenant(sessions) as session:
        report = await transfer_check(session, storage, NoScanner(), package)
    read = checks.report_dict(report)
    assert read["virus_database"] is None
    assert "测试特征码" not in render_report(read)


async def test_a_scanner_that_cannot_answer_is_not_run_never_pass(tmp_path: Path) -> None:
    scanner = ClamdScanner(socket=str(tmp_path / "no-such.sock"))
    (tmp_path / "f").write_bytes(b"x")
    assert (await scanner.scan(tmp_path / "f")).outcome == "not_run"
    assert (await NoScanner().scan(tmp_path / "f")).outcome == "not_run"


async def test_edited_manifest_is_found_and_named(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    _, package = await project_with(sessions, storage, [("a.pdf", samples.pdf())])
    async with in_tenant(sessions) as session:
        row = await session.get(Package, package["id"])
        assert row is not None and row.tag_files is not None
        manifest = row.tag_files["manifest-sha256.txt"]
        digest = package["items"][0]["sha256"]
        flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
        row.tag_files = {**row.tag_files, "manifest-sha256.txt": manifest.replace(digest, flipped)}
    async with in_tenant(sessions) as session:
        verdict = await packages.verify_package(session, storage, package["id"])
    assert not verdict["valid"]
    assert any("manifest-sha256.txt" in p for p in verdict["problems"]), verdict["problems"]
    assert any(p.startswith("package:") for p in verdict["problems"])


async def test_edited_package_row_is_found_and_named(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    _, package = await project_with(sessions, storage, [("a.pdf", samples.pdf())])
    items = [dict(package["items"][0], sm3="0" * 64)]
    async with in_tenant(sessions) as session:
        await session.execute(
            sa.update(Package).where(Package.id == package["id"]).values(items=items)
        )
    async with in_tenant(sessions) as session:
        verdict = await packages.verify_package(session, storage, package["id"])
    assert verdict["problems"] == [
        f"record: data/0001-a.pdf 的 sm3 为 {package['items'][0]['sm3']}，数据库记录为 {'0' * 64}"
    ]


async def test_a_person_records_manual_items_but_never_overrides_an_automatic_one(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    _, package = await project_with(sessions, storage, [("a.pdf", samples.pdf())])
    async with in_tenant(sessions) as session:
        report = await transfer_check(session, storage, NoScanner(), package)
        assert result(report, "USAB-04")["outcome"] == "manual_pending"
        assert result(report, "SECU-01")["outcome"] == "not_run"
        pending_before = report.summary["manual_pending"]

        updated = await record_manual(session, report, "USAB-04", "已核验阅读软件与操作系统版本")
        usab = result(updated, "USAB-04")
        assert usab["outcome"] == "pass"
        assert usab["details"][0]["recorded_by"] == actor()["id"]
        assert updated.summary["manual_pending"] == pending_before - 1

        # A scanner that did not run stays "not run": no person can turn it into a pass.
        with pytest.raises(Problem) as refused:
            await record_manual(session, report, "SECU-01", "人工看过了")
        assert refused.value.status == 409 and refused.value.code == "not_a_manual_item"
        assert result(updated, "SECU-01")["outcome"] == "not_run" and not updated.acceptable
        with pytest.raises(Problem) as unknown:
            await record_manual(session, report, "NOPE-99", "不存在的检测项")
        assert unknown.value.status == 404

        # The finding holds for the same (immutable) package on the next run.
        again = await transfer_check(session, storage, NoScanner(), package)
        assert result(again, "USAB-04")["outcome"] == "pass"
        assert result(again, "SECU-04")["outcome"] == "manual_pending"
        types = (
            (
                await session.execute(
                    sa.text("SELECT type FROM archive.outbox WHERE payload->>'report_id' = :r"),
                    {"r": str(report.id)},
                )
            )
            .scalars()
            .all()
        )
    assert "govproj.archive.check_report.manual_recorded.v1" in types
