"""项目名称包含: the name search finds what a person typed, through renames, in any case, and
only within the jurisdictions the reader sees (the bigram index of migration 0007 keeps up)."""

from __future__ import annotations

import uuid

import httpx

from libs.common.testing.platform import RunningPlatform
from tests.support.registry import CHAOAN, XIANGQIAO, new_unit, officer, project_body


def _names(registry: httpx.Client, headers: dict[str, str], q: str) -> list[str]:
    r = registry.get("/v1/projects", headers=headers, params={"q": q, "limit": 200})
    assert r.status_code == 200, r.text
    return sorted(p["name"] for p in r.json()["items"])


def test_name_search_follows_renames_case_and_jurisdiction(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    tag = uuid.uuid4().hex[:6]  # letters and digits: a fresh word no other test uses
    unit = new_unit(platform, registry, CHAOAN)
    writer = officer(platform, CHAOAN, unit)
    body = project_body(unit)
    body["name"] = f"潮安{tag}OA协同办公候鸟平台"
    created = registry.post("/v1/projects", headers=writer, json=body)
    assert created.status_code == 201, created.text
    project = created.json()
    foreign_unit = new_unit(platform, registry, XIANGQIAO)
    foreign = project_body(foreign_unit)
    foreign["name"] = f"湘桥{tag}OA协同办公候鸟平台"
    r = registry.post(
        "/v1/projects", headers=officer(platform, XIANGQIAO, foreign_unit), json=foreign
    )
    assert r.status_code == 201, r.text

    reader = writer
    name = body["name"]
    # Two characters, one character, any case of the Latin letters, the whole name.
    for q in (f"{tag}oa", f"{tag}OA协同", "候鸟", f"{tag}", name, f"{tag.upper()}oA"):
        assert _names(registry, reader, q) == [name], q
    assert _names(registry, reader, f"{tag}办公协同") == []  # every piece, but not in this order
    assert _names(registry, reader, f"{tag}%") == []  # a LIKE wildcard is a character here

    renamed = registry.patch(
        f"/v1/projects/{project['id']}",
        headers={**writer, "If-Match": f'"{project["version"]}"'},
        json={"name": f"潮安{tag}政务云迁移项目"},
    )
    assert renamed.status_code == 200, renamed.text
    assert _names(registry, reader, f"{tag}OA") == []
    assert _names(registry, reader, f"{tag}政务云") == [f"潮安{tag}政务云迁移项目"]
