"""The isolation sweep and the fuzzing, built from every service's own OpenAPI.

Both run against a platform with *canary* data planted in one county
(湘桥区 445102): a unit, a project (submitted, so it has a decision and a
workflow) and an archived document, each named with a random marker. The
marker is data only the owner stored: it never appears in a request, so a
response that carries it to anyone who may not see 445102 is a leak (a 404
that echoes an id from the path is not).

Callers of the sweep (:data:`CALLERS`): the owner county; the sibling county
(潮安区 445103) with every role; the parent city (潮州市 445100) as overseer and
as bureau officer; another city (云浮市 445300); no token; a token with no
tenant claim; forged tokens (signed with another key, expired, for another
audience, ``alg: none``).
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from libs.common.auth import ROLES
from libs.common.settings import SERVICES
from libs.common.testing.platform import RunningPlatform

OWNER, SIBLING, PARENT, OTHER_CITY = "445102", "445103", "445100", "445300"
METHODS = ("get", "post", "put", "patch", "delete")
# Routes anyone may call: health, readiness, metrics and the API description itself.
PUBLIC = re.compile(r"^/(healthz|readyz|livez|metrics|openapi\.json|docs|redoc)")
ANONYMOUS = ("no token", "no tenant", "wrong key", "expired", "wrong audience", "alg none")


@dataclass
class Canary:
    """What the owner county planted, and the marker that must not leak."""

    marker: str
    unit_id: str
    project_id: str
    document_id: str
    step_id: str | None
    year: int
    versions: dict[str, Any] = field(default_factory=dict)

    def ids(self) -> list[str]:
        return [i for i in (self.unit_id, self.project_id, self.document_id, self.step_id) if i]


def _upload_canary(
    archive: httpx.Client, headers: dict[str, str], marker: str, pid: str, content: bytes
) -> httpx.Response:
    return archive.post(
        "/v1/documents",
        headers=headers,
        data={
            "title": f"{marker}文件",
            "doc_type": "other",
            "doc_number": f"{marker}号",
            "doc_date": date.today().isoformat(),
            "author_unit": f"{marker}单位",
            "security_level": "non_secret",
            "retention_period": "y30",
            "project_id": pid,
        },
        files={"file": (f"{marker}.pdf", content, "application/pdf")},
    )


def plant_canary(platform: RunningPlatform) -> Canary:
    """A unit, a submitted project (decision, workflow) and a document in 445102, all marked."""
    from services.archive.tests import samples

    marker = f"CANARY{uuid.uuid4().hex[:12]}"
    year = date.today().year + 2
    bureau = platform.headers(OWNER, "bureau_officer")
    with (
        platform.client("registry") as registry,
        platform.client("archive") as archive,
        platform.client("approval") as approval,
    ):
        r = registry.post("/v1/units", headers=bureau, json={"name": f"{marker}单位"})
        assert r.status_code == 201, r.text
        unit = r.json()["id"]
        # The unit's own officer, as Keycloak issues the token: with its unit claim.
        unit_h = platform.headers(OWNER, "unit_officer", unit=unit)
        r = registry.post(
            "/v1/projects",
            headers=unit_h,
            json={
                "name": f"{marker}项目",
                "unit_id": unit,
                "year": year,
                "description": f"{marker} 金丝雀项目",
                "contacts": [{"name": f"{marker}联系人", "phone": "0768-1234567"}],
                "schedule": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
                "facts": {
                    "project_class": "professional",
                    "service_types": ["software_development"],
                    "amount": 800_000,
                    "software_amount": 800_000,
                },
            },
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        r = registry.post(f"/v1/projects/{pid}/submit", headers=unit_h)
        assert r.status_code == 200, r.text
        # The archive learns of the project from the registry's event: until then
        # it answers 404 and stores nothing, so the upload is simply tried again.
        deadline = time.monotonic() + 60
        while True:
            r = _upload_canary(archive, unit_h, marker, pid, samples.pdf())
            if r.status_code != 404 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.status_code == 201, r.text
        doc = r.json()["id"]
        step = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            w = approval.get(f"/v1/projects/{pid}/workflow", headers=bureau)
            if w.status_code == 200:
                step = next((s["step_id"] for s in w.json()["steps"]), None)
                break
            time.sleep(0.2)
    canary = Canary(marker, unit, pid, doc, step, year)
    canary.versions = snapshot(platform, canary)
    return canary


def snapshot(platform: RunningPlatform, canary: Canary) -> dict[str, Any]:
    """The owner's view of the canary: the sweep must leave it exactly as it was."""
    h = platform.headers(OWNER, "bureau_officer")
    with platform.client("registry") as registry, platform.client("archive") as archive:
        p = registry.get(f"/v1/projects/{canary.project_id}", headers=h).json()
        u = registry.get(f"/v1/units/{canary.unit_id}", headers=h).json()
        d = archive.get(f"/v1/documents/{canary.document_id}", headers=h).json()
    return {
        "project": {k: p.get(k) for k in ("version", "state", "name", "amount")},
        "unit": {k: u.get(k) for k in ("name",)},
        "document": {k: d.get(k) for k in ("title", "sha256", "sm3", "deleted_at", "legal_hold")},
    }


# ---- tokens ------------------------------------------------------------------------------


def tokens(platform: RunningPlatform) -> dict[str, dict[str, str]]:
    """Headers of every caller of the sweep, by caller name."""
    from govproj.dev.issuer import signing_key

    out: dict[str, dict[str, str]] = {}
    all_roles = sorted(ROLES)
    out["owner"] = platform.headers(OWNER, *all_roles, user="owner")
    for role in all_roles:
        out[f"sibling {role}"] = platform.headers(SIBLING, role)
    out["parent overseer"] = platform.headers(PARENT, "overseer")
    out["parent bureau_officer"] = platform.headers(PARENT, "bureau_officer")
    out["other city overseer"] = platform.headers(OTHER_CITY, "overseer")
    out["no token"] = {}
    key = signing_key(platform.home)
    now = int(time.time())
    base = {
        "iss": platform.issuer_url,
        "aud": "govproj",
        "sub": "intruder",
        "preferred_username": "intruder",
        "roles": all_roles,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    head = {"kid": key.kid}

    def signed(claims: dict[str, Any], private: Any = None, alg: str = "RS256") -> dict[str, str]:
        tok = jwt.encode(claims, private or key.private_key, algorithm=alg, headers=head)
        return {"Authorization": f"Bearer {tok}"}

    out["no tenant"] = signed(base)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    out["wrong key"] = signed({**base, "tenant": OWNER}, other_key)
    out["expired"] = signed(
        {**base, "tenant": OWNER, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}
    )
    out["wrong audience"] = signed({**base, "tenant": OWNER, "aud": "another-system"})
    none = jwt.encode({**base, "tenant": OWNER}, key=None, algorithm="none")  # type: ignore[arg-type]
    out["alg none"] = {"Authorization": f"Bearer {none}"}
    return out


# ---- the sweep ---------------------------------------------------------------------------


@dataclass
class Finding:
    service: str
    method: str
    path: str
    caller: str
    status: int
    why: str


@dataclass
class SweepReport:
    operations: int = 0
    requests: int = 0
    # caller -> status -> count
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    canary_changed: dict[str, Any] = field(default_factory=dict)

    def table(self) -> list[tuple[str, dict[int, int]]]:
        return [(c, dict(sorted(s.items()))) for c, s in self.statuses.items()]


def operations(url: str) -> list[tuple[str, str, list[dict[str, Any]], bool]]:
    """(method, path, path/query parameters, has a body) of every route in the OpenAPI."""
    spec = httpx.get(url + "/openapi.json", timeout=30).json()
    ops = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method in item:
                op = item[method]
                ops.append(
                    (method, path, [*shared, *op.get("parameters", [])], "requestBody" in op)
                )
    return ops


def fill(path: str, params: list[dict[str, Any]], canary: Canary) -> str:
    """The path with the canary's ids (or the owner's codes) in its parameters."""

    def value(name: str) -> str:
        n = name.lower()
        if "project" in n:
            return canary.project_id
        if "unit" in n:
            return canary.unit_id
        if "document" in n or n in ("doc_id",):
            return canary.document_id
        if "step" in n:
            return canary.step_id or canary.project_id
        if "year" in n:
            return str(canary.year)
        if "tenant" in n or n == "code":
            return OWNER
        return canary.project_id

    out = path
    for p in params:
        if p.get("in") == "path":
            out = out.replace("{" + p["name"] + "}", value(p["name"]))
    return re.sub(r"\{[^}]+\}", canary.project_id, out)


def sweep(
    platform: RunningPlatform,
    canary: Canary,
    services: tuple[str, ...] = SERVICES,
    progress: Callable[[str], None] | None = None,
) -> SweepReport:
    """Every route × method of every service × every caller; what each got, and what leaked."""
    report = SweepReport()
    callers = tokens(platform)
    seen_public: set[str] = set()
    for service in services:
        with platform.client(service) as client:
            for method, path, params, has_body in operations(platform.urls[service]):
                report.operations += 1
                url = fill(path, params, canary)
                for caller, headers in callers.items():
                    if caller == "owner" and method != "get":
                        continue  # the owner's baseline only reads: its writes would move the canary
                    kw: dict[str, Any] = {"json": {}} if has_body else {}
                    r = client.request(method.upper(), url, headers=headers, **kw)
                    report.requests += 1
                    report.statuses.setdefault(caller, Counter())[r.status_code] += 1
                    if caller in ANONYMOUS and PUBLIC.match(path):
                        seen_public.add(f"{service} {method.upper()} {path}")
                    for why in judge(caller, method, path, url, r, canary):
                        report.findings.append(
                            Finding(service, method.upper(), path, caller, r.status_code, why)
                        )
                if progress is not None:
                    progress(f"{service} {method.upper()} {path}")
    report.public = sorted(seen_public)
    after = snapshot(platform, canary)
    if after != canary.versions:
        report.canary_changed = {"before": canary.versions, "after": after}
    return report


def judge(
    caller: str, method: str, path: str, url: str, r: httpx.Response, canary: Canary
) -> list[str]:
    """What is wrong with the response ``caller`` got (nothing, for the owner's own reads)."""
    why: list[str] = []
    if r.status_code >= 500:
        why.append(f"server error: {r.text[:200]}")
    if caller == "owner":
        return why
    if canary.marker in r.text and not _may_see(caller):
        why.append("canary data in the response")
    if caller in ANONYMOUS:
        if PUBLIC.match(path):
            return why
        if r.status_code != 401:
            why.append("not refused with 401")
        elif not r.headers.get("content-type", "").startswith("application/problem+json"):
            why.append("401 is not problem+json")
    elif 200 <= r.status_code < 300 and any(i in url for i in canary.ids()):
        if method != "get":
            why.append("a write on the owner's data was accepted")
        elif not _may_see(caller) and not _empty(r):
            why.append("read the owner's resource")
    return why


def _empty(r: httpx.Response) -> bool:
    """A list that comes back empty (RLS filtered every row) shows nothing of the owner's."""
    try:
        body = r.json()
    except ValueError:
        return False
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        body = body["items"]
    return body == []


def _may_see(caller: str) -> bool:
    """The parent city's overseer reads its counties (docs/adr/0003-visible-tenants.md)."""
    return caller == "parent overseer"


def sweep_markdown(report: SweepReport) -> str:
    """The per-caller status table and the findings, for docs/reliability.md."""
    codes = sorted({c for s in report.statuses.values() for c in s})
    lines = [
        "| caller | " + " | ".join(str(c) for c in codes) + " |",
        "|---|" + "---|" * len(codes),
    ]
    for caller, counts in report.table():
        lines.append(f"| {caller} | " + " | ".join(str(counts.get(c, "")) for c in codes) + " |")
    return "\n".join(lines)
