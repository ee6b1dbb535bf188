"""The archive over HTTP under hostile clients: one archive process, real PostgreSQL and NATS.

Issue 16's reproducers, each against a running archive (uvicorn, its own pool):
slow uploads, oversized and malformed uploads, retried uploads, another unit's
or another county's project, experts and 内部 documents, the auditor and holds.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from libs.common.testing.platform import RunningPlatform
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.archive.tests import samples
from services.archive.tests.http_platform import (
    COUNTY,
    LIMIT,
    OTHER,
    MiB,
    archive,
    form,
    objects,
    project,
    stored_versions,
)

__all__ = ["archive"]  # the module-scoped archive this module's tests share


async def _trickle(port: int, token: str, stop: asyncio.Event) -> None:
    """An upload that sends its metadata, then one byte of the file per second."""
    boundary = "slowclient"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n慢速上传\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nacceptance_report\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="doc_date"\r\n\r\n2026-11-01\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="author_unit"\r\n\r\n测试\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="security_level"\r\n\r\nnon_secret\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="retention_period"\r\n\r\ny10\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF"
    ).encode()
    request = (
        f"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + 1000}\r\n\r\n"
    ).encode()
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request + head)
        await writer.drain()
        while not stop.is_set():
            await asyncio.sleep(1)
            writer.write(b"x")
            await writer.drain()
    finally:
        writer.close()


async def test_slow_uploads_leave_the_pool_to_other_tenants(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    # Issue 16: 22 uploads sending a byte every 5 s held every pooled connection and
    # every tenant's archive requests answered 500 after 30 s.
    port = int(archive.urls["archive"].rsplit(":", 1)[1])
    token = archive.token(COUNTY, "bureau_officer")
    stop = asyncio.Event()
    slow = [asyncio.create_task(_trickle(port, token, stop)) for _ in range(24)]
    try:
        await asyncio.sleep(3)  # every slow upload is inside its route by now
        other = archive.headers(OTHER, "bureau_officer")
        timings = []
        async with httpx.AsyncClient(base_url=archive.urls["archive"], timeout=20) as client:
            for _ in range(10):
                started = time.monotonic()
                r = await client.get("/v1/documents", headers=other)
                timings.append(time.monotonic() - started)
                assert r.status_code == 200, r.text
                up = await client.post(
                    "/v1/documents", headers=other, **form("fast.pdf", b"%PDF-1.4 fast")
                )
                assert up.status_code == 201, up.text
                await asyncio.sleep(0.3)
        # Figures for docs/reliability.md (shown with pytest -s).
        print(f"other county while 24 uploads trickle: max {max(timings):.3f} s, {sorted(timings)}")
        assert max(timings) < 3, timings
    finally:
        stop.set()
        await asyncio.gather(*slow, return_exceptions=True)


# --- size, framing, refusals: nothing locked, nothing kept ----------------------------------


def test_an_upload_over_the_tenant_limit_is_413_and_keeps_nothing(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    headers = archive.headers(COUNTY, "bureau_officer")
    before_rows, before_files = objects(archive_db), stored_versions(archive)
    with archive.client("archive") as client:
        declared = client.post(
            "/v1/documents", headers=headers, **form("big.pdf", b"x" * (LIMIT + 3 * MiB))
        )
        assert declared.status_code == 413, declared.text
        assert declared.headers["content-type"].startswith("application/problem+json")
        assert declared.json()["title"] == "上传文件过大"

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            boundary = "big"
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n大\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nacceptance_report\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="doc_date"\r\n\r\n2026-11-01\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="author_unit"\r\n\r\n测试\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="security_level"\r\n\r\nnon_secret\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="retention_period"\r\n\r\ny10\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            for _ in range(4):
                yield b"x" * MiB
            yield f"\r\n--{boundary}--\r\n".encode()

        streamed = client.post(
            "/v1/documents",
            headers={**headers, "Content-Type": "multipart/form-data; boundary=big"},
            content=chunked(),
        )
        assert streamed.status_code == 413, streamed.text
        assert streamed.json()["code"] == "upload_too_large"
    assert objects(archive_db) == before_rows
    assert stored_versions(archive) == before_files


@pytest.mark.parametrize(
    "part_type", ["application/pdf\nX-Injected: yes", "application/" + "p" * 300]
)
def test_a_bad_part_content_type_is_400_and_keeps_nothing(
    archive: RunningPlatform, archive_db: DatabaseUrls, part_type: str
) -> None:
    headers = archive.headers(COUNTY, "bureau_officer")
    before_rows, before_files = objects(archive_db), stored_versions(archive)
    boundary = "ct"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n类型\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nacceptance_report\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="doc_date"\r\n\r\n2026-11-01\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="author_unit"\r\n\r\n测试\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="security_level"\r\n\r\nnon_secret\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="retention_period"\r\n\r\ny10\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        f"Content-Type: {part_type}\r\n\r\n%PDF-1.4\r\n--{boundary}--\r\n"
    ).encode()
    with archive.client("archive") as client:
        r = client.post(
            "/v1/documents",
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            content=body,
        )
    assert r.status_code == 400, r.text
    assert r.json()["title"] == "上传格式错误"
    assert objects(archive_db) == before_rows
    assert stored_versions(archive) == before_files


# --- Idempotency-Key --------------------------------------------------------------------------


def test_a_retried_upload_returns_the_first_answer_and_makes_nothing_new(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    headers = {**archive.headers(COUNTY, "bureau_officer"), "Idempotency-Key": str(uuid.uuid4())}
    with archive.client("archive") as client:
        first = client.post("/v1/documents", headers=headers, **form("a.pdf", b"%PDF-1.4 once"))
        assert first.status_code == 201, first.text
        rows, files = objects(archive_db), stored_versions(archive)
        again = client.post("/v1/documents", headers=headers, **form("a.pdf", b"%PDF-1.4 once"))
        assert again.status_code == 201, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers["location"] == first.headers["location"]
        assert (objects(archive_db), stored_versions(archive)) == (rows, files)
        other = client.post("/v1/documents", headers=headers, **form("a.pdf", b"%PDF-1.4 other"))
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        assert (objects(archive_db), stored_versions(archive)) == (rows, files)

        doc = first.json()["id"]
        key = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        v1 = client.post(
            f"/v1/documents/{doc}/versions",
            headers=key,
            **{"files": form("b.pdf", b"%PDF v2")["files"]},
        )
        v2 = client.post(
            f"/v1/documents/{doc}/versions",
            headers=key,
            **{"files": form("b.pdf", b"%PDF v2")["files"]},
        )
        assert v1.status_code == v2.status_code == 201, (v1.text, v2.text)
        assert v1.json()["version_id"] == v2.json()["version_id"]
        assert len(client.get(f"/v1/documents/{doc}/versions", headers=headers).json()) == 2


# --- projects: this jurisdiction's only, and the unit's own -------------------------------------


def test_another_countys_project_is_404_and_nothing_is_filed(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    theirs, _ = project(archive_db, OTHER)
    made_up = str(uuid.uuid4())
    headers = archive.headers(COUNTY, "bureau_officer")
    before_rows, before_files = objects(archive_db), stored_versions(archive)
    with archive.client("archive") as client:
        for project_id in (theirs, made_up):
            r = client.post(
                "/v1/documents", headers=headers, **form("x.pdf", b"%PDF", project_id=project_id)
            )
            assert r.status_code == 404, r.text
            assert r.json()["title"] == "资源不存在"
            doc = client.post("/v1/documents", headers=headers, **form("y.pdf", b"%PDF")).json()
            before_rows = objects(archive_db)
            before_files = stored_versions(archive)
            attach = client.post(
                f"/v1/documents/{doc['id']}/attachments",
                headers=headers,
                json={"project_id": project_id},
            )
            assert attach.status_code == 404, attach.text
            package = client.post(f"/v1/projects/{project_id}/packages", headers=headers, json={})
            assert package.status_code == 404, package.text
            accept = client.post(
                f"/v1/projects/{project_id}/archive-acceptance",
                headers=headers,
                json={"package_id": str(uuid.uuid4())},
            )
            assert accept.status_code == 404, accept.text
    assert (objects(archive_db), stored_versions(archive)) == (before_rows, before_files)


def test_a_unit_officer_acts_only_on_its_own_units_projects_and_documents(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    bureau_project, _bureau_unit = project(archive_db)
    mine, my_unit = project(archive_db)
    officer = archive.headers(COUNTY, "unit_officer", unit=my_unit)
    stranger = archive.headers(COUNTY, "unit_officer", unit=str(uuid.uuid4()))
    no_claim = archive.headers(COUNTY, "unit_officer")
    bureau = archive.headers(COUNTY, "bureau_officer")
    with archive.client("archive") as client:
        # 郁南县教育局's 立项批复, filed by the bureau under its project.
        theirs = client.post(
            "/v1/documents",
            headers=bureau,
            **form("批复.pdf", b"%PDF-1.4 approval", project_id=bureau_project),
        ).json()
        rows, files = objects(archive_db), stored_versions(archive)
        into = client.post(
            "/v1/documents", headers=officer, **form("x.pdf", b"%PDF", project_id=bureau_project)
        )
        assert into.status_code == 403 and into.json()["code"] == "other_unit", into.text
        version = client.post(
            f"/v1/documents/{theirs['id']}/versions",
            headers=stranger,
            files=form("v.pdf", b"%PDF evil")["files"],
        )
        assert version.status_code == 403, version.text
        assert (
            client.post("/v1/documents", headers=no_claim, **form("x.pdf", b"%PDF")).status_code
            == 403
        )
        package = client.post(f"/v1/projects/{bureau_project}/packages", headers=officer, json={})
        assert package.status_code == 403
        assert (objects(archive_db), stored_versions(archive)) == (rows, files)
        current = client.get(f"/v1/documents/{theirs['id']}", headers=bureau).json()[
            "current_version"
        ]
        assert current["version_id"] == theirs["current_version"]["version_id"]

        own = client.post(
            "/v1/documents", headers=officer, **form("本单位.pdf", samples.pdf(), project_id=mine)
        )
        assert own.status_code == 201, own.text
        attach = client.post(
            f"/v1/documents/{own.json()['id']}/attachments",
            headers=officer,
            json={"project_id": bureau_project},
        )
        assert attach.status_code == 403
        assert (
            client.post(f"/v1/projects/{mine}/packages", headers=officer, json={}).status_code
            == 201
        )


def test_experts_never_read_internal_documents_and_auditors_cannot_lift_holds(
    archive: RunningPlatform,
) -> None:
    bureau = archive.headers(COUNTY, "bureau_officer")
    expert = archive.headers(COUNTY, "expert")
    auditor = archive.headers(COUNTY, "auditor")
    with archive.client("archive") as client:
        internal = client.post(
            "/v1/documents",
            headers=bureau,
            **form("内部.pdf", b"%PDF", security_level="internal", legal_hold="true"),
        ).json()
        public = client.post("/v1/documents", headers=bureau, **form("公开.pdf", b"%PDF")).json()
        for path in ("", "/content", "/versions"):
            assert (
                client.get(f"/v1/documents/{internal['id']}{path}", headers=expert).status_code
                == 404
            )
        assert client.get(f"/v1/documents/{public['id']}", headers=expert).status_code == 200
        listed = {
            d["id"]
            for d in client.get("/v1/documents", headers=expert, params={"limit": 500}).json()
        }
        assert public["id"] in listed and internal["id"] not in listed
        assert client.get(f"/v1/documents/{internal['id']}", headers=auditor).status_code == 200
        vid = internal["current_version"]["version_id"]
        lift = client.put(
            f"/v1/documents/{internal['id']}/versions/{vid}/legal-hold",
            headers=auditor,
            json={"on": False},
        )
        assert lift.status_code == 403, lift.text
        assert client.get(f"/v1/documents/{internal['id']}", headers=bureau).json()[
            "current_version"
        ]["legal_hold"]


# --- names, ranges ------------------------------------------------------------------------------


def test_hostile_file_names_are_stored_safely_and_the_project_still_packages(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    project_id, _ = project(archive_db)
    bureau = archive.headers(COUNTY, "bureau_officer")
    with archive.client("archive") as client:
        names = []
        for name in ("合同\u2028终稿.pdf", "验收\u0085报告.pdf", "发票\u202efdp.exe"):
            r = client.post(
                "/v1/documents", headers=bureau, **form(name, samples.pdf(), project_id=project_id)
            )
            assert r.status_code == 201, r.text
            names.append(r.json()["current_version"]["filename"])
        assert names == ["合同终稿.pdf", "验收报告.pdf", "发票fdp.exe"]
        package = client.post(f"/v1/projects/{project_id}/packages", headers=bureau, json={})
        assert package.status_code == 201, package.text
        tar = client.get(f"/v1/packages/{package.json()['id']}/content", headers=bureau)
        assert tar.status_code == 200 and len(tar.content) == package.json()["size"]
        verified = client.post(f"/v1/packages/{package.json()['id']}/verification", headers=bureau)
        assert verified.status_code == 200 and verified.json()["valid"], verified.text


def test_a_range_of_five_thousand_digits_is_416(archive: RunningPlatform) -> None:
    bureau = archive.headers(COUNTY, "bureau_officer")
    with archive.client("archive") as client:
        doc = client.post(
            "/v1/documents", headers=bureau, **form("r.pdf", b"%PDF-1.4 range")
        ).json()
        r = client.get(
            f"/v1/documents/{doc['id']}/content",
            headers={**bureau, "Range": "bytes=" + "9" * 5000 + "-"},
        )
        assert r.status_code == 416, r.text
        assert r.headers["content-type"].startswith("application/problem+json")


def test_archive_posts_honour_idempotency_keys(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    project_id, _ = project(archive_db)
    bureau = archive.headers(COUNTY, "bureau_officer")
    with archive.client("archive") as client:
        doc = client.post(
            "/v1/documents", headers=bureau, **form("p.pdf", samples.pdf(), project_id=project_id)
        ).json()
        key = {**bureau, "Idempotency-Key": str(uuid.uuid4())}
        first = client.post(f"/v1/projects/{project_id}/packages", headers=key, json={})
        again = client.post(f"/v1/projects/{project_id}/packages", headers=key, json={})
        assert first.status_code == again.status_code == 201, (first.text, again.text)
        assert first.json()["id"] == again.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        listed = client.get(f"/v1/projects/{project_id}/packages", headers=bureau).json()
        assert [p["id"] for p in listed] == [first.json()["id"]]
        key = {**bureau, "Idempotency-Key": str(uuid.uuid4())}
        body = {"stage": "transfer"}
        run = client.post(f"/v1/packages/{first.json()['id']}/checks", headers=key, json=body)
        rerun = client.post(f"/v1/packages/{first.json()['id']}/checks", headers=key, json=body)
        assert run.status_code == rerun.status_code == 201, run.text
        assert run.json()["id"] == rerun.json()["id"]
        other = client.post(
            f"/v1/packages/{first.json()['id']}/checks", headers=key, json={"stage": "archiving"}
        )
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        key = {**bureau, "Idempotency-Key": str(uuid.uuid4())}
        for _ in range(2):
            r = client.post(
                f"/v1/documents/{doc['id']}/attachments",
                headers=key,
                json={"project_id": project_id, "step_id": "acceptance"},
            )
            assert r.status_code == 201, r.text
