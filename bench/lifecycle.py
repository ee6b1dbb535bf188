"""Load, faults and invariants: whole project lifecycles on the embedded stack.

    python bench/lifecycle.py [--projects 120] [--rate 1.0] [--faults]

Self-contained: starts a durable PostgreSQL (fsync, synchronous_commit on), a
nats-server (JetStream file store, ``sync_interval: always``), a clamd with one
signature (so the archive's 四性检测 can pass, as in production), the dev issuer,
the five services as real processes (API, outbox relay and consumers in each),
and one ``govproj finance simulate`` per tenant (ratio 0.8). Then it starts
``--projects`` projects at a steady ``--rate`` per second, spread round-robin
over the six demo counties that have a policy pack, and drives each over HTTP
as its users would, as far as the tenant's pack allows:

  submit → decision (workflow opened by the approval service's consumer) →
  reviews (expert, cost, crypto … steps by their roles) → finance (the
  simulator answers the finance step over NATS) → approval (立项/备案, the
  registry follows) → documents (procurement, contract PDF into the archive,
  the registry moves to implementing) → archive acceptance (package + 四性检测)
  → acceptance (completion, conformity review where the pack wants one, the
  acceptance meeting; the registry moves to accepted).

Every call is state-driven and retried on transport errors and 5xx, so the
same driver runs under ``--faults``: each service, nats-server and PostgreSQL
is SIGKILLed in turn and restarted while the load runs. After the load the
stack drains and the invariants are checked and counted (see
:func:`check_invariants`). The raw PostgreSQL commit rate and JetStream publish
rate are measured in the same run, on the same servers, before the load.

Results go to bench/results/lifecycle.json. ``tests/system/full.py`` runs this
with and without faults, the isolation sweep and the fuzzing, and writes
docs/reliability.md and the lifecycle section of docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import platform as pyplatform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from bench.support import arg_parser, stack_servers, write_results  # noqa: E402
from govproj.dev.demo import project_request  # noqa: E402
from govproj.dev.stack import start_virus_scanner  # noqa: E402
from libs.common.settings import SERVICES  # noqa: E402
from libs.common.testing.infra import NatsProcess, PostgresProcess  # noqa: E402
from libs.common.testing.platform import RunningPlatform  # noqa: E402
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database  # noqa: E402
from libs.common.testing.stack import (  # noqa: E402
    platform_on,
    seed_demo_tenants,
    upgraded_database,
)

# The counties (and Laizhou) whose packs decide projects; round-robin in this order.
LOAD_TENANTS = ("445322", "445102", "445103", "445122", "440804", "370683")
AMOUNT = 800_000
CONTRACT_AMOUNT = 600_000  # under the simulator's 80% so every pack's budget check passes
STAGES = (
    "submit",
    "decision",
    "reviews",
    "finance",
    "approval",
    "documents",
    "archive_acceptance",
    "acceptance",
)
# Evidence for the acceptance checklist items, by item code (archive doc_type).
EVIDENCE_TYPE = {
    "third_party_testing": "test_report",
    "security_assessment": "security_assessment_report",
    "ipv6_support": "test_report",
}


@dataclass(frozen=True)
class Profile:
    """How a tenant's projects are shaped so its pack in force decides them (not timed)."""

    planned: bool = True  # in the consolidated annual plan (a demand item)
    facts: tuple[tuple[str, Any], ...] = ()
    year: int | None = None  # None: two years ahead (every plan window is open)
    submitted_on: str | None = None  # None: today
    started_on: str | None = None
    signed_on: str | None = None
    completed_on: str | None = None
    held_on: str | None = None


# 莱政办发〔2022〕6号 was in force 2022-09-29..2024-09-28: its projects are submitted then
# (as tests/integration/test_acceptance_laizhou.py does), outside the plan where 上级 mandates.
PROFILES = {
    "370683": Profile(
        planned=False,
        facts=(("category", "governance"), ("mandated", True)),
        year=2024,
        submitted_on="2023-06-01",
        started_on="2023-08-01",
        signed_on="2023-10-09",
        completed_on="2024-03-04",
        held_on="2024-03-20",
    )
}


def profile(tenant: str) -> Profile:
    return PROFILES.get(tenant, Profile())


def _today() -> str:
    from libs.common.deadlines import today_in_china

    return today_in_china().isoformat()


RETRY_STATUS = frozenset({500, 502, 503, 504})
CALL_DEADLINE = 180.0  # seconds one call keeps retrying (a PostgreSQL restart takes a few)


# ---- the stack ---------------------------------------------------------------------------


@dataclass
class Stack:
    """Everything the run started, so faults can kill and restart each part."""

    root: Path
    pg: PostgresProcess
    nats: NatsProcess
    db: DatabaseUrls
    platform: RunningPlatform
    sims: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_simulator(self, tenant: str) -> None:
        log = (self.root / "platform" / "logs" / f"finance-sim-{tenant}.log").open("ab")
        self.sims[tenant] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "govproj.cli",
                "finance",
                "simulate",
                "--tenant",
                tenant,
                "--ratio",
                "0.8",
                "--nats-url",
                self.nats.url,
            ],
            env={**os.environ, **self.platform.env},
            stdout=log,
            stderr=log,
        )

    def revive_simulators(self) -> int:
        """Restart any simulator that gave up (nats-py stops reconnecting after a while)."""
        revived = 0
        for tenant, proc in list(self.sims.items()):
            if proc.poll() is not None:
                self.start_simulator(tenant)
                revived += 1
        return revived


@contextlib.contextmanager
def running_stack(
    root: Path,
    *,
    durable: bool = True,
    migrate: Callable[[str], object] | None = None,
    code: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
    env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """PostgreSQL, NATS, clamd, issuer, the five services, demo tenants and simulators.

    ``migrate(owner_url)`` builds the schema (default: every service's migrations of
    this tree); the platform starts inside ``code()`` with ``env`` added to its
    processes' environment, so a drill can run another release's tree.
    """
    root.mkdir(parents=True, exist_ok=True)
    # Restarts under load on a shared 2-core machine are slow; the runs wait for them.
    os.environ.setdefault("GOVPROJ_TEST_READY_TIMEOUT", "240")
    with stack_servers(root, durable=durable, nats_log=root / "nats.log") as (pg, nats_server):
        # The archive's SECU-01 needs a scanner to pass 四性检测: started as `govproj dev up`
        # starts it (the machine's signature database if it has one, else the test signature).
        clamd = start_virus_scanner(root)
        sock = clamd.socket if clamd is not None else None
        saved = os.environ.get("GOVPROJ_ARCHIVE_CLAMD_SOCKET")
        if sock is not None:
            os.environ["GOVPROJ_ARCHIVE_CLAMD_SOCKET"] = str(sock)
        stack: Stack | None = None
        try:
            if migrate is None:
                db = upgraded_database(pg.admin_url, "lifecycle")
            else:
                db = make_database(pg.admin_url, "lifecycle")
                migrate(db.owner)
            with code(), platform_on(root, db, nats_server.url) as running:
                running.env.update(env or {})
                if sock is not None:  # restarts read it from here (the first start: os.environ)
                    running.env["GOVPROJ_ARCHIVE_CLAMD_SOCKET"] = str(sock)
                seed_demo_tenants(running)
                stack = Stack(root=root, pg=pg, nats=nats_server, db=db, platform=running)
                for tenant in LOAD_TENANTS:
                    stack.start_simulator(tenant)
                yield stack
        finally:
            if stack is not None:
                for proc in stack.sims.values():
                    if proc.poll() is None:
                        proc.terminate()
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            proc.wait(10)
            if clamd is not None:
                clamd.stop()
            if saved is None:
                os.environ.pop("GOVPROJ_ARCHIVE_CLAMD_SOCKET", None)
            else:
                os.environ["GOVPROJ_ARCHIVE_CLAMD_SOCKET"] = saved


# ---- HTTP as the users do it -------------------------------------------------------------


class Api:
    """One client per service, cached tokens, and calls that ride out a restart."""

    def __init__(self, platform: RunningPlatform) -> None:
        self.platform = platform
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        self.clients = {
            s: httpx.Client(base_url=u, timeout=30, limits=limits) for s, u in platform.urls.items()
        }
        self._tokens: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()
        self.retries: Counter[str] = Counter()
        # The load unit of each tenant (prepare): a unit officer's token names it,
        # as Keycloak's does; without a unit claim every write is refused.
        self.units: dict[str, str] = {}

    def close(self) -> None:
        for c in self.clients.values():
            c.close()

    def headers(self, tenant: str, role: str, user: str | None = None) -> dict[str, str]:
        key = (tenant, role, user or f"{role}@{tenant}")
        with self._lock:
            if key not in self._tokens:
                unit = self.units.get(tenant) if role == "unit_officer" else None
                self._tokens[key] = self.platform.token(tenant, role, user=key[2], unit=unit)
            return {"Authorization": f"Bearer {self._tokens[key]}"}

    def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        tenant: str,
        role: str,
        user: str | None = None,
        idempotent: bool = False,
        **kw: Any,
    ) -> httpx.Response:
        """The response, once it is not a transport error or a 5xx (retried until the deadline)."""
        headers = self.headers(tenant, role, user)
        if idempotent:
            headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        # Like `until`, the deadline counts the time the stack was up (see Downtime).
        start, down_at_start = time.monotonic(), DOWNTIME.total()
        while True:
            try:
                r = self.clients[service].request(method, path, headers=headers, **kw)
            except httpx.TransportError as exc:
                self.retries[f"{service} {type(exc).__name__}"] += 1
            else:
                if r.status_code not in RETRY_STATUS:
                    return r
                self.retries[f"{service} {r.status_code}"] += 1
            if time.monotonic() - start - (DOWNTIME.total() - down_at_start) > CALL_DEADLINE:
                raise TimeoutError(f"{method} {service}{path} kept failing")
            time.sleep(0.5)

    def expect(
        self, what: str, ok: tuple[int, ...], service: str, method: str, path: str, **kw: Any
    ) -> httpx.Response:
        """:meth:`call`, and a ``RuntimeError`` naming ``what`` unless the status is one of ``ok``."""
        r = self.call(service, method, path, **kw)
        if r.status_code not in ok:
            raise RuntimeError(f"{what}: {r.status_code} {r.text[:300]}")
        return r


class Downtime:
    """Seconds during which a part of the stack was down (killed, then restarting).

    A stage cannot move while the service that must answer or relay its event is
    down, and a restart on a loaded 2-core machine takes from 4 s to over 90 s
    (the archive-kill stall, docs/reliability.md): a wait's budget counts the time
    the stack was up, so a stall means the platform was slow, not the machine.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = 0.0
        self._open: list[float] = []

    def begin(self) -> float:
        with self._lock:
            t = time.monotonic()
            self._open.append(t)
            return t

    def end(self, began: float) -> None:
        with self._lock:
            self._open.remove(began)
            self._closed += time.monotonic() - began

    def total(self) -> float:
        """Down seconds so far, an outage in progress included."""
        with self._lock:
            now = time.monotonic()
            return self._closed + sum(now - t for t in self._open)


DOWNTIME = Downtime()


def until(check: Callable[[], Any], *, timeout: float, interval: float = 0.25) -> Any:
    """The first truthy ``check()``; TimeoutError after ``timeout`` seconds of the stack up."""
    start, down_at_start = time.monotonic(), DOWNTIME.total()
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() - start - (DOWNTIME.total() - down_at_start) > timeout:
            raise TimeoutError("condition did not hold in time")
        time.sleep(interval)


@dataclass
class ProjectRun:
    """One project's way through the lifecycle: when each stage ended, how far it got."""

    tenant: str
    project_id: str | None = None
    route: str | None = None
    started: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)
    reached: str = "none"
    stopped: str | None = None
    documents: dict[str, str] = field(default_factory=dict)  # id -> sha256 uploaded
    finance_by_hand: bool = False

    def mark(self, stage: str) -> None:
        self.marks[stage] = time.monotonic()
        self.reached = stage

    def durations_ms(self) -> dict[str, float]:
        out: dict[str, float] = {}
        prev = self.started
        for stage in STAGES:
            if stage in self.marks:
                out[stage] = (self.marks[stage] - prev) * 1000
                prev = self.marks[stage]
        return out


class Driver:
    """Drives one project through the stages, every step read from the services' state."""

    def __init__(self, api: Api, stage_timeout: float = 240.0) -> None:
        self.api = api
        self.timeout = stage_timeout

    # -- small helpers --

    def _read(self, run: ProjectRun, service: str, path: str, role: str = "unit_officer") -> Any:
        """The project's ``path`` at ``service`` as ``role`` sees it; None until it answers 200."""
        r = self.api.call(service, "GET", path, tenant=run.tenant, role=role)
        return r.json() if r.status_code == 200 else None

    def _registry_state(self, run: ProjectRun) -> str:
        project = self._read(run, "registry", f"/v1/projects/{run.project_id}")
        return str(project.get("state")) if project is not None else ""

    def _wait_state(self, run: ProjectRun, *states: str) -> str:
        def reached() -> str | None:
            s = self._registry_state(run)
            return s if s in states else None

        got: str = until(reached, timeout=self.timeout)
        return got

    def _upload(self, run: ProjectRun, doc_type: str, title: str) -> str:
        from libs.common.deadlines import today_in_china
        from services.archive.tests import samples

        content = samples.pdf() + f"\n% {uuid.uuid4()}\n".encode()  # unique bytes per upload
        fields = {
            "title": title,
            "doc_type": doc_type,
            "doc_number": f"压测〔{date.today().year}〕{uuid.uuid4().hex[:6]}号",
            "doc_date": today_in_china().isoformat(),
            "author_unit": "压测建设单位",
            "security_level": "non_secret",
            "retention_period": "y30",
            "project_id": str(run.project_id),
            "step_id": "acceptance",
        }
        r = self.api.expect(
            f"upload {doc_type}",
            (201,),
            "archive",
            "POST",
            "/v1/documents",
            tenant=run.tenant,
            role="unit_officer",
            data=fields,
            files={"file": (f"{title}.pdf", content, "application/pdf")},
        )
        doc_id: str = r.json()["id"]
        run.documents[doc_id] = hashlib.sha256(content).hexdigest()
        return doc_id

    def _record(self, run: ProjectRun) -> dict[str, Any]:
        return self._read(run, "acceptance", f"/v1/projects/{run.project_id}/acceptance") or {}

    def _has_doc(self, run: ProjectRun, doc: str) -> None:
        until(
            lambda: doc in {d["id"] for d in self._record(run).get("documents", [])},
            timeout=self.timeout,
        )

    def _until_ok(self, service: str, method: str, path: str, run: ProjectRun, **kw: Any) -> Any:
        """Repeat a call that waits on another service's event (404/409 until it arrives)."""
        last: list[httpx.Response] = []

        def ok() -> bool:
            last[:] = [
                self.api.call(service, method, path, tenant=run.tenant, idempotent=True, **kw)
            ]
            return last[0].status_code in (200, 201)

        try:
            until(ok, timeout=self.timeout, interval=0.5)
        except TimeoutError:
            raise RuntimeError(
                f"{method} {path}: {last[0].status_code} {last[0].text[:300]}"
            ) from None
        return last[0].json()

    # -- the stages --

    def create_and_submit(self, run: ProjectRun, unit: str, item: str | None, year: int) -> None:
        prof = profile(run.tenant)
        year = prof.year or year
        body = project_request(
            f"压测项目{uuid.uuid4().hex[:6]}",
            unit,
            year,
            "全生命周期压测项目",
            amount=AMOUNT,
            facts=dict(prof.facts),
        )
        if item is not None:
            body["demand_item_id"] = item
        r = self.api.expect(
            "create",
            (201,),
            "registry",
            "POST",
            "/v1/projects",
            tenant=run.tenant,
            role="unit_officer",
            idempotent=True,
            json=body,
        )
        run.project_id = r.json()["id"]
        r = self.api.expect(
            "submit",
            (200,),
            "registry",
            "POST",
            f"/v1/projects/{run.project_id}/submit",
            tenant=run.tenant,
            role="unit_officer",
            idempotent=True,
            json={"submitted_on": prof.submitted_on} if prof.submitted_on else None,
        )
        run.mark("submit")

    def _workflow(self, run: ProjectRun) -> dict[str, Any] | None:
        path = f"/v1/projects/{run.project_id}/workflow"
        workflow: dict[str, Any] | None = self._read(run, "approval", path, "bureau_officer")
        return workflow

    def review(self, run: ProjectRun) -> None:
        wf = until(lambda: self._workflow(run), timeout=self.timeout)
        run.route = wf.get("route")
        run.mark("decision")
        finance_seen: float | None = None
        deadline = time.monotonic() + self.timeout * 2
        while wf["state"] == "open":
            if time.monotonic() > deadline:
                raise RuntimeError(f"workflow still open: {wf}")
            (step,) = [s for s in wf["steps"] if s["state"] == "open"]
            if step["code"] == "finance_review":
                if finance_seen is None:
                    finance_seen = time.monotonic()
                    run.mark("reviews")
                # The simulator answers over NATS; a minute without an answer, finance acts by hand.
                if time.monotonic() - finance_seen < 60:
                    time.sleep(0.25)
                    wf = self._workflow(run) or wf
                    continue
                run.finance_by_hand = True
            if step["code"] == "expert_review":
                self._experts_agree(run, step)
            r = self.api.call(
                "approval",
                "POST",
                f"/v1/steps/{step['step_id']}/opinions",
                tenant=run.tenant,
                role=step["role"],
                user=f"{step['role']}-1",
                json={"outcome": "approve", "opinion": f"{step['code']}：同意"},
            )
            # 409: a retried opinion already landed (or the step moved on): read the state again.
            wf = r.json() if r.status_code == 200 else (self._workflow(run) or wf)
            if (
                finance_seen is not None
                and "finance" not in run.marks
                and step["code"] != ("finance_review")
            ):
                run.mark("finance")
            if r.status_code not in (200, 409):
                raise RuntimeError(f"opinion on {step['code']}: {r.status_code} {r.text[:300]}")
        if finance_seen is None:
            run.mark("reviews")
        elif "finance" not in run.marks:
            run.mark("finance")
        if wf["state"] not in ("approved", "filed"):
            raise RuntimeError(f"workflow ended {wf['state']}")
        self._wait_state(run, "approved", "filed")
        run.mark("approval")

    def _experts_agree(self, run: ProjectRun, step: dict[str, Any]) -> None:
        experts = [
            {"user": f"expert-{step['step_id'][:8]}-{i}", "name": n}
            for i, n in enumerate(("李专家", "王专家"))
        ]
        self.api.expect(
            "experts",
            (200, 409),
            "approval",
            "PUT",
            f"/v1/steps/{step['step_id']}/experts",
            tenant=run.tenant,
            role="bureau_officer",
            json={"experts": experts},
        )
        for e in experts:
            self.api.expect(
                "expert opinion",
                (200, 409),
                "approval",
                "POST",
                f"/v1/steps/{step['step_id']}/expert-opinions",
                tenant=run.tenant,
                role="expert",
                user=e["user"],
                json={"conclusion": "agree", "opinion": f"{e['name']}：方案可行。"},
            )

    def build(self, run: ProjectRun) -> None:
        prof = profile(run.tenant)
        pid = run.project_id
        self._until_ok(
            "budget",
            "POST",
            f"/v1/projects/{pid}/procurement",
            run,
            role="unit_officer",
            json={"method": "public_tender", "started_on": prof.started_on or _today()},
        )
        contract = self._upload(run, "contract", "建设合同")
        self._until_ok(
            "budget",
            "POST",
            f"/v1/projects/{pid}/contracts",
            run,
            role="unit_officer",
            json={
                "supplier": "某信息技术有限公司",
                "amount": CONTRACT_AMOUNT,
                "signed_on": prof.signed_on or _today(),
                "document_id": contract,
            },
        )
        self._wait_state(run, "implementing")
        run.mark("documents")

    def archive_acceptance(self, run: ProjectRun) -> str:
        pid = run.project_id
        self._until_ok(
            "acceptance",
            "POST",
            f"/v1/projects/{pid}/completion",
            run,
            role="unit_officer",
            json={
                "completed_on": profile(run.tenant).completed_on or _today(),
                "note": "系统建设完成，试运行正常",
            },
        )
        report = self._upload(run, "acceptance_report", "验收报告")
        package = self._until_ok(
            "archive", "POST", f"/v1/projects/{pid}/packages", run, role="unit_officer", json={}
        )
        done = self._until_ok(
            "archive",
            "POST",
            f"/v1/projects/{pid}/archive-acceptance",
            run,
            role="bureau_officer",
            json={"package_id": package["id"]},
        )
        until(
            lambda: (self._record(run).get("archive_acceptance") or {}).get("outcome"),
            timeout=self.timeout,
        )
        run.mark("archive_acceptance")
        if done.get("outcome") != "passed":
            run.stopped = f"archive acceptance {done.get('outcome')}"
        return report

    def accept(self, run: ProjectRun, report: str) -> None:
        today = profile(run.tenant).held_on or _today()
        pid = run.project_id
        self._has_doc(run, report)
        body = {
            "outcome": "passed",
            "held_on": today,
            "report_document_id": report,
            "expert_opinions": [
                {"name": "赵专家", "opinion": "功能完整，同意通过。", "conclusion": "pass"},
                {"name": "钱专家", "opinion": "文档齐全。", "conclusion": "pass"},
            ],
            "conclusion": "项目按合同完成建设内容，同意通过验收。",
        }
        last = ""
        for _ in range(6):
            r = self.api.call(
                "acceptance",
                "POST",
                f"/v1/projects/{pid}/acceptance",
                tenant=run.tenant,
                role="unit_officer",
                idempotent=True,
                json=body,
            )
            if r.status_code == 200:
                break
            problem = r.json() if r.status_code in (409, 422) else {}
            code = problem.get("code")
            last = f"{r.status_code} {code}: {problem.get('detail', r.text)[:200]}"
            if code == "review_required":
                self._conformity_review(run)
            elif code == "checklist_incomplete":
                missing = [m for m in problem.get("missing", []) if m != "archive_acceptance"]
                if not missing:  # the pack's archive gate (e.g. 坡头 第二十三条)
                    run.stopped = f"acceptance refused: {problem.get('detail', '')[:120]}"
                    return
                # Evidence is attached during a pre-acceptance review (验收前置审核).
                self._conformity_review(run)
            else:
                run.stopped = f"acceptance {r.status_code}: {r.text[:200]}"
                return
        else:
            run.stopped = f"acceptance still refused: {last}"
            return
        self._wait_state(run, "accepted")
        run.mark("acceptance")

    def _prove(self, run: ProjectRun, codes: list[str]) -> None:
        items = {i["code"]: i for i in self._record(run).get("checklist", [])}
        for code in codes:
            # The type the item asks for (its doc_types), else our guess by code.
            types = items.get(code, {}).get("doc_types") or [EVIDENCE_TYPE.get(code, "other")]
            doc = self._upload(run, types[0], code)
            self._has_doc(run, doc)
            self.api.expect(
                f"evidence for {code}",
                (200,),
                "acceptance",
                "PUT",
                f"/v1/projects/{run.project_id}/review/items/{code}",
                tenant=run.tenant,
                role="unit_officer",
                json={"evidence_document_ids": [doc]},
            )

    def _conformity_review(self, run: ProjectRun) -> None:
        pid = run.project_id
        r = self.api.expect(
            "review request",
            (200,),
            "acceptance",
            "POST",
            f"/v1/projects/{pid}/review",
            tenant=run.tenant,
            role="unit_officer",
            json={},
        )
        plan = r.json()["review_plan"]
        missing = [
            i["code"]
            for i in r.json()["checklist"]
            if i["mandatory"] and not i["satisfied"] and i["code"] != "archive_acceptance"
        ]
        self._prove(run, missing)
        r = self.api.expect(
            "review decision",
            (200, 409),
            "acceptance",
            "POST",
            f"/v1/projects/{pid}/review/decision",
            tenant=run.tenant,
            role=plan.get("reviewer_role") or "bureau_officer",
            json={"outcome": "pass", "opinion": "符合建设标准"},
        )

    def lifecycle(self, run: ProjectRun, unit: str, item: str | None, year: int) -> ProjectRun:
        run.started = time.monotonic()
        try:
            self.create_and_submit(run, unit, item, year)
            self.review(run)
            self.build(run)
            report = self.archive_acceptance(run)
            if run.stopped is None:
                self.accept(run, report)
            elif run.tenant != "440804":  # only 坡头's pack gates acceptance on the archive
                run.stopped = None
                self.accept(run, report)
        except Exception as exc:  # a stage that did not finish: recorded, counted, reported
            run.stopped = f"{type(exc).__name__}: {str(exc)[:300]}"
        return run


# ---- setup: units and consolidated plans (not timed) ----------------------------------------


def prepare(api: Api, n: int, year: int) -> list[tuple[str, str, str | None]]:
    """(tenant, unit, demand item) for n projects: one unit and one consolidated plan per tenant."""
    per_tenant: dict[str, int] = Counter(LOAD_TENANTS[i % len(LOAD_TENANTS)] for i in range(n))
    slots: dict[str, list[tuple[str, str | None]]] = {}
    for tenant, count in per_tenant.items():
        r = api.call(
            "registry",
            "POST",
            "/v1/units",
            tenant=tenant,
            role="bureau_officer",
            json={"name": f"压测单位{uuid.uuid4().hex[:8]}"},
        )
        assert r.status_code == 201, r.text
        unit = r.json()["id"]
        api.units[tenant] = unit
        if not profile(tenant).planned:
            slots[tenant] = [(unit, None)] * count
            continue
        items: list[str] = []
        for i in range(count):
            r = api.call(
                "registry",
                "POST",
                f"/v1/plans/{year}/items",
                tenant=tenant,
                role="unit_officer",
                json={
                    "unit_id": unit,
                    "name": f"压测需求{i}",
                    "project_class": "professional",
                    "amount": AMOUNT,
                },
            )
            assert r.status_code == 201, r.text
            items.append(r.json()["id"])
        r = api.call(
            "registry",
            "POST",
            f"/v1/plans/{year}/consolidate",
            tenant=tenant,
            role="bureau_officer",
        )
        assert r.status_code == 200, r.text
        slots[tenant] = [(unit, i) for i in items]
    order = [LOAD_TENANTS[i % len(LOAD_TENANTS)] for i in range(n)]
    return [(t, *slots[t].pop()) for t in order]


def run_load(
    api: Api,
    n: int,
    rate: float,
    *,
    year: int,
    on_tick: Callable[[], None] | None = None,
    stage_timeout: float = 240.0,
) -> tuple[list[ProjectRun], float]:
    """Start n lifecycles at ``rate``/s; wait for them all. Returns the runs and the wall time."""
    driver = Driver(api, stage_timeout)
    plan = prepare(api, n, year)
    runs = [ProjectRun(tenant=t) for t, _, _ in plan]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(n, 96)) as pool:
        futures = []
        for k, ((_, unit, item), run) in enumerate(zip(plan, runs, strict=True)):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(driver.lifecycle, run, unit, item, year))
            if on_tick is not None:
                on_tick()
        for f in futures:
            f.result()
    return runs, time.monotonic() - start


# ---- faults ------------------------------------------------------------------------------


@dataclass
class FaultLog:
    target: str
    killed_at: float
    down_s: float
    recovered_s: float
    error: str | None = None


def fault_targets() -> list[str]:
    return [*SERVICES, "nats-server", "postgresql"]


def kill_postgres(pg: PostgresProcess) -> None:
    """SIGKILL the postmaster and every backend: the whole server dies at once, as in an OOM
    kill of the cgroup or a power cut (a postmaster killed alone leaves its backends holding
    the shared memory, and no new server starts until they go)."""
    pid = pg.pid()
    if pid is None:
        return
    children = [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid
    ]
    for victim in (pid, *children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _ppid(proc: Path) -> int | None:
    try:
        stat = (proc / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def inject(stack: Stack, target: str, *, down: float = 1.0) -> FaultLog:
    """SIGKILL one part, keep it down ``down`` seconds, restart it; time the recovery."""
    t0 = DOWNTIME.begin()
    try:
        return _inject(stack, target, t0, down)
    finally:
        DOWNTIME.end(t0)


def _inject(stack: Stack, target: str, t0: float, down: float) -> FaultLog:
    if target == "nats-server":
        stack.nats.kill()
        time.sleep(down)
        stack.nats.start()
    elif target == "postgresql":
        kill_postgres(stack.pg)
        time.sleep(down)
        for attempt in range(10):  # until the killed backends have released shared memory
            try:
                stack.pg.start()
                break
            except subprocess.CalledProcessError:
                if attempt == 9:
                    raise
                time.sleep(1)
    else:
        stack.platform.stop_service(target, kill=True)
        time.sleep(down)
        stack.platform.start_service(target)
    recovered = time.monotonic() - t0
    stack.revive_simulators()
    return FaultLog(target=target, killed_at=t0, down_s=down, recovered_s=recovered)


def fault_loop(stack: Stack, stop: threading.Event, gap: float, log: list[FaultLog]) -> None:
    """Each target in turn, ``gap`` seconds apart, until the load ends (at least one round)."""
    for target in itertools.cycle(fault_targets()):
        if stop.wait(gap) and len(log) >= len(fault_targets()):
            return
        try:
            log.append(inject(stack, target))
        except Exception as exc:  # counted and reported; the run goes on with what is left
            log.append(FaultLog(target, time.monotonic(), 0.0, -1.0, error=repr(exc)[:300]))


# ---- invariants --------------------------------------------------------------------------


def _matches(pattern: str, subject: str) -> bool:
    """NATS subject wildcard match (``*`` one token, ``>`` the rest)."""
    p, s = pattern.split("."), subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(p) == len(s)


async def _stream_ids(
    nats_url: str, stream: str, by_project: dict[str, list[str]] | None = None
) -> dict[str, tuple[str, str]]:
    """Every message of ``stream``: event id -> (subject, type); ``by_project`` collects ids."""
    by_project = {} if by_project is None else by_project
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    out: dict[str, tuple[str, str]] = {}
    info = await js.stream_info(stream)
    total = info.state.messages
    sub = await js.pull_subscribe(
        ">" if stream != "GOVPROJ" else "govproj.>",
        stream=stream,
        config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
    )
    seen = 0
    while seen < total:
        try:
            msgs = await sub.fetch(500, timeout=5)
        except TimeoutError:
            break
        for m in msgs:
            seen += 1
            h = m.headers or {}
            out[h.get("Nats-Msg-Id") or h.get("ce-id", "")] = (m.subject, h.get("ce-type", ""))
            with contextlib.suppress(ValueError, AttributeError):
                pid = json.loads(m.data).get("project_id")
                if pid:
                    by_project.setdefault(pid, []).append(h.get("Nats-Msg-Id") or "")
    await nc.close()
    return out


async def _pending(nats_url: str) -> dict[str, int]:
    import nats

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    out = {}
    for stream in ("GOVPROJ", "FINANCE"):
        for c in await js.consumers_info(stream):
            out[f"{stream}/{c.name}"] = c.num_pending + c.num_ack_pending
    await nc.close()
    return out


def _consumers() -> list[tuple[str, str, str, list[str], set[str]]]:
    """(service, consumer, stream, filter subjects, handled types) of every consumer.

    ``consumer`` is the inbox's key; its JetStream durable is
    ``libs.common.events.durable_name(consumer, filters)``.
    """
    import importlib

    from libs.common.tenants import TENANT_EVENT_TYPES

    out = []
    for service in SERVICES:
        spec = importlib.import_module(f"services.{service}.app").SPEC
        out.append(
            (
                service,
                service,
                "GOVPROJ",
                spec.consumer_subjects,
                {*TENANT_EVENT_TYPES, *spec.handlers},
            )
        )
        for extra in spec.consumers:
            out.append(
                (service, extra.durable, extra.stream, list(extra.subjects), set(extra.handlers))
            )
    return out


def drain(stack: Stack, timeout: float = 180.0) -> dict[str, int]:
    """Wait until every outbox row is sent and every consumer has nothing pending."""
    import psycopg

    def quiet() -> dict[str, int] | None:
        with psycopg.connect(stack.db.admin) as conn:
            unsent = {
                s: conn.execute(
                    f"SELECT count(*) FROM {s}.outbox WHERE sent_at IS NULL"  # noqa: S608
                ).fetchone()[0]
                for s in SERVICES
            }
        pending = asyncio.run(_pending(stack.nats.url))
        if any(unsent.values()) or any(pending.values()):
            return None
        return {**{f"{k} unsent": v for k, v in unsent.items()}, **pending}

    got: dict[str, int] = until(quiet, timeout=timeout, interval=1.0)
    return got


def check_invariants(stack: Stack, runs: list[ProjectRun]) -> dict[str, Any]:
    """Count what must hold after any load and any faults; ``violations`` lists what did not."""
    import psycopg

    violations: list[str] = []
    result: dict[str, Any] = {}
    by_project: dict[str, list[str]] = {}
    streams = {
        s: asyncio.run(_stream_ids(stack.nats.url, s, by_project)) for s in ("GOVPROJ", "FINANCE")
    }
    with psycopg.connect(stack.db.admin) as conn:
        # 1. every submitted project reached a decision (exactly one per submission).
        submitted = [r.project_id for r in runs if "submit" in r.marks]
        decided = {
            str(pid): n
            for pid, n in conn.execute(
                "SELECT project_id, count(*) FROM approval.decisions GROUP BY project_id"
            ).fetchall()
        }
        undecided = [p for p in submitted if p not in decided]
        result["decisions"] = {
            "submitted": len(submitted),
            "decided": len(submitted) - len(undecided),
        }
        if undecided:
            violations.append(f"{len(undecided)} submitted projects without a decision")
        # 2. no event lost: outbox ids = stream ids (per producer), stream = inbox (per consumer).
        events: dict[str, Any] = {}
        for service in SERVICES:
            outbox = {
                str(i)
                for (i,) in conn.execute(f"SELECT id FROM {service}.outbox").fetchall()  # noqa: S608
            }
            in_stream = {
                i for i, (subj, _) in streams["GOVPROJ"].items() if subj.split(".")[2] == service
            }
            events[service] = {
                "outbox": len(outbox),
                "stream": len(in_stream),
                "outbox_not_in_stream": len(outbox - in_stream),
                "stream_not_in_outbox": len(in_stream - outbox),
            }
            if outbox != in_stream:
                violations.append(
                    f"{service}: outbox {len(outbox)} vs stream {len(in_stream)} "
                    f"({len(outbox - in_stream)} never published, "
                    f"{len(in_stream - outbox)} unknown)"
                )
        consumers: dict[str, Any] = {}
        for service, consumer, stream, filters, handled in _consumers():
            expected = {
                i
                for i, (subj, typ) in streams[stream].items()
                if typ in handled and any(_matches(f, subj) for f in filters)
            }
            inbox = {
                str(i)
                for (i,) in conn.execute(
                    f"SELECT event_id FROM {service}.inbox WHERE consumer = %s",  # noqa: S608
                    (consumer,),
                ).fetchall()
            }
            dead = {
                h.get("Nats-Msg-Id") or h.get("ce-id")
                for (h,) in conn.execute(
                    f"SELECT headers FROM {service}.dead_letter WHERE consumer = %s",  # noqa: S608
                    (consumer,),
                ).fetchall()
                if h
            }
            consumers[consumer] = {
                "expected": len(expected),
                "inbox": len(inbox & expected),
                "dead_letters": len(dead & expected),
                "missing": len(expected - inbox - dead),
            }
            if expected - inbox - dead:
                violations.append(
                    f"consumer {consumer}: {len(expected - inbox - dead)} of {len(expected)} "
                    "events neither applied nor dead-lettered"
                )
        result["events"] = {"producers": events, "consumers": consumers}
        result["dead_letters"] = {
            s: [
                (c, subj, reason[:200])
                for c, subj, reason in conn.execute(
                    f"SELECT consumer, subject, reason FROM {s}.dead_letter"  # noqa: S608
                ).fetchall()
            ]
            for s in SERVICES
        }
        ids_now = [r.project_id for r in runs if r.project_id]
        # Where a project stopped short: its events, and whether the registry applied each.
        stalled = [
            str(pid)
            for (pid,) in conn.execute(
                "SELECT id FROM registry.projects WHERE id = ANY(%s::uuid[]) AND state = "
                "'submitted'",
                (ids_now,),
            ).fetchall()
        ]
        registry_inbox = {
            str(i)
            for (i,) in conn.execute(
                "SELECT event_id FROM registry.inbox WHERE consumer = 'registry'"
            ).fetchall()
        }
        result["stalled"] = {
            pid: [
                (streams["GOVPROJ"][e][1], e in registry_inbox)
                for e in by_project.get(pid, [])
                if e in streams["GOVPROJ"]
            ]
            for pid in stalled
        }
        result["final_states"] = dict(
            conn.execute(
                "SELECT state, count(*) FROM registry.projects WHERE id = ANY(%s::uuid[]) "
                "GROUP BY state",
                (ids_now,),
            ).fetchall()
        )
        # 3. no effect applied twice: each transition the events drive happened once per project.
        ids = [r.project_id for r in runs if r.project_id]
        # A transition driven by an event names it: the same event twice is an effect twice.
        twice = conn.execute(
            "SELECT event_id, count(*) FROM registry.project_history "
            "WHERE project_id = ANY(%s::uuid[]) AND trigger NOT LIKE 'registry:%%' "
            "GROUP BY event_id HAVING count(*) > 1",
            (ids,),
        ).fetchall()
        dup_decisions = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM approval.decisions GROUP BY tenant_id, "
            "project_id, submission HAVING count(*) > 1) d"
        ).fetchone()[0]
        dup_contracts = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM budget.contracts WHERE project_id = ANY(%s::uuid[]) "
            "GROUP BY project_id HAVING count(*) > 1) d",
            (ids,),
        ).fetchone()[0]
        dup_acceptances = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM acceptance.acceptances "
            "WHERE project_id = ANY(%s::uuid[]) GROUP BY project_id HAVING count(*) > 1) d",
            (ids,),
        ).fetchone()[0]
        transitions = conn.execute(
            "SELECT count(*) FROM registry.project_history WHERE project_id = ANY(%s::uuid[])",
            (ids,),
        ).fetchone()[0]
        result["effects"] = {
            "transitions_checked": transitions,
            "transitions_twice": len(twice),
            "decisions_twice": dup_decisions,
            "contracts_twice": dup_contracts,
            "acceptances_twice": dup_acceptances,
        }
        if twice:
            violations.append(f"{len(twice)} registry transitions applied twice: {twice[:3]}")
        for name in ("decisions_twice", "contracts_twice", "acceptances_twice"):
            if result["effects"][name]:
                violations.append(f"{name}: {result['effects'][name]}")
        stored = {
            str(d): (sha, sm3)
            for d, sha, sm3 in conn.execute(
                "SELECT v.document_id, o.sha256, o.sm3 FROM archive.document_versions v "
                "JOIN archive.stored_objects o ON o.id = v.object_id WHERE v.seq = 1"
            ).fetchall()
        }
    # 4. no archived byte changed: the bytes served now are the bytes uploaded.
    api = Api(stack.platform)
    checked = changed = 0
    try:
        for run in runs:
            for doc, sha in run.documents.items():
                r = api.call(
                    "archive",
                    "GET",
                    f"/v1/documents/{doc}/content",
                    tenant=run.tenant,
                    role="unit_officer",
                )
                checked += 1
                served = hashlib.sha256(r.content).hexdigest() if r.status_code == 200 else None
                if served != sha or stored.get(doc, (sha,))[0] != sha:
                    changed += 1
    finally:
        api.close()
    result["archive"] = {"documents_checked": checked, "bytes_changed": changed}
    if changed:
        violations.append(f"{changed} of {checked} archived documents changed")
    result["violations"] = violations
    return result


# ---- the whole run -----------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def summarise(runs: list[ProjectRun], wall: float) -> dict[str, Any]:
    stages: dict[str, Any] = {}
    for stage in STAGES:
        d = [r.durations_ms()[stage] for r in runs if stage in r.marks]
        if d:
            stages[stage] = {
                "n": len(d),
                "p50_ms": statistics.median(d),
                "p95_ms": _pct(d, 0.95),
                "max_ms": max(d),
            }
    reached = Counter(r.reached for r in runs)
    by_tenant: dict[str, dict[str, int]] = {}
    for r in runs:
        by_tenant.setdefault(r.tenant, Counter())[r.reached] += 1  # type: ignore[index]
    full = [r for r in runs if "acceptance" in r.marks]
    return {
        "projects": len(runs),
        "wall_s": wall,
        "accepted_per_min": len(full) / wall * 60 if wall else 0.0,
        "submitted_per_s": sum("submit" in r.marks for r in runs) / wall if wall else 0.0,
        "stages": stages,
        "reached": dict(reached),
        "reached_by_tenant": {t: dict(c) for t, c in by_tenant.items()},
        "routes": dict(Counter(r.route for r in runs)),
        "stopped": dict(Counter((r.stopped or "")[:140] for r in runs if r.stopped)),
        "finance_by_hand": sum(r.finance_by_hand for r in runs),
        "end_to_end_p50_s": statistics.median([(r.marks["acceptance"] - r.started) for r in full])
        if full
        else None,
    }


def raw_rates(stack: Stack, seconds: float) -> dict[str, float]:
    """Raw durable commits and acked publishes on this run's own servers (the bench scripts')."""
    from bench.events import raw_publishes
    from bench.registry import raw_commits

    return {
        "pg_commits_per_s_4": asyncio.run(raw_commits(stack.db.admin, 4, seconds)),
        "js_publishes_per_s_4": asyncio.run(raw_publishes(stack.nats.url, 4, seconds)),
    }


def run(
    root: Path,
    *,
    projects: int,
    rate: float,
    faults: bool,
    fault_gap: float = 8.0,
    raw_seconds: float = 5.0,
    durable: bool = True,
    after: Callable[[Stack], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One measured run; returns the results (the caller writes them)."""
    year = date.today().year + 2
    with running_stack(root, durable=durable) as stack:
        raw = raw_rates(stack, raw_seconds) if raw_seconds else {}
        api = Api(stack.platform)
        log: list[FaultLog] = []
        stop = threading.Event()
        fault_thread = None
        if faults:
            fault_thread = threading.Thread(
                target=fault_loop, args=(stack, stop, fault_gap, log), daemon=True
            )
        try:
            started = False

            def tick() -> None:
                nonlocal started
                # Faults begin once the load is flowing (a few lifecycles in flight).
                if fault_thread is not None and not started:
                    started = True
                    fault_thread.start()

            runs, wall = run_load(api, projects, rate, year=year, on_tick=tick)
        finally:
            stop.set()
            if fault_thread is not None and fault_thread.is_alive():
                fault_thread.join(300)
            api.close()
        drained = drain(stack)
        invariants = check_invariants(stack, runs)
        extra = after(stack) if after is not None else {}
        return {
            "after": extra,
            "date": date.today().isoformat(),
            "machine": {
                "python": pyplatform.python_version(),
                "cpus": os.cpu_count(),
                "load_avg": os.getloadavg(),
            },
            "params": {
                "projects": projects,
                "rate_per_s": rate,
                "faults": faults,
                "fault_gap_s": fault_gap,
                "durable": durable,
                "tenants": list(LOAD_TENANTS),
            },
            "raw": raw,
            "load": summarise(runs, wall),
            "retries": dict(api.retries),
            "faults": [asdict(f) for f in log],
            "drained": drained,
            "invariants": invariants,
            "runs": [
                {
                    "tenant": r.tenant,
                    "project_id": r.project_id,
                    "route": r.route,
                    "reached": r.reached,
                    "stopped": r.stopped,
                    "durations_ms": r.durations_ms(),
                }
                for r in runs
            ],
        }


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--projects", type=int, default=120)
    parser.add_argument("--rate", type=float, default=1.0, help="projects started per second")
    parser.add_argument("--faults", action="store_true", help="SIGKILL each part in turn")
    parser.add_argument("--fault-gap", type=float, default=8.0)
    parser.add_argument("--raw-seconds", type=float, default=5.0)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "lifecycle.json"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="govproj-bench-lifecycle-"))
    try:
        results = run(
            root,
            projects=args.projects,
            rate=args.rate,
            faults=args.faults,
            fault_gap=args.fault_gap,
            raw_seconds=args.raw_seconds,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    write_results("lifecycle", results, Path(args.out))
    load = results["load"]
    print(
        json.dumps(
            {k: load[k] for k in ("projects", "wall_s", "reached", "stopped")},
            ensure_ascii=False,
            indent=1,
        )
    )
    for stage, s in load["stages"].items():
        print(f"  {stage:20s} n={s['n']:4d} p50 {s['p50_ms']:8.0f} ms  p95 {s['p95_ms']:8.0f} ms")
    print("raw:", results["raw"])
    print("invariants:", json.dumps(results["invariants"], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
