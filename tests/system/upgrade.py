"""The upgrade drill: the previous release under load, stopped, migrated, the new release started.

    .venv/bin/python -m tests.system.drills upgrade [--from 5e9364d] [--projects 6]

The previous release's code is checked out into a temporary ``git worktree``;
its services, finance simulators and dev issuer run from there (working
directory and ``PYTHONPATH`` on that tree, the same virtualenv: the new
release's dependencies are a superset). Its own ``govproj db upgrade`` creates
the schema it knows. Lifecycles start against it; while they are in flight
every service is stopped with SIGTERM (as a rolling Deployment stops pods), the
new release's ``govproj db upgrade`` runs (what the chart's pre-upgrade hook Job
runs), and the new services start. The driver's calls ride out the gap (they
retry transport errors), so every lifecycle must finish on the new release;
afterwards every project is read back and the invariants are counted.

In the chart's rolling order the new services first run with
``GOVPROJ_EVENTS_HEADER_ENCODING=legacy`` (the ``ce-actor`` form the old
services still running read); once the last old one is gone they roll again
with ``percent`` (the binding's form, the default), and one more lifecycle runs
wholly after that switch. The stream then holds events of all three kinds
(:func:`actor_forms`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.lifecycle import (
    REPO,
    Api,
    ProjectRun,
    Stack,
    check_invariants,
    drain,
    run_load,
    running_stack,
)
from libs.common.events._envelope import ENCODING_ENV
from libs.common.settings import SERVICES

PREVIOUS_RELEASE = "5e9364d"  # the commit issue 19 starts from
MAX_EXTRA_WAIT = 180.0  # seconds the upgrade waits past upgrade_after for a lifecycle in flight


@contextlib.contextmanager
def checked_out(commit: str) -> Iterator[Path]:
    """``git worktree add --detach`` of ``commit`` in a temporary directory; removed afterwards."""
    tree = Path(tempfile.mkdtemp(prefix="govproj-release-")) / "tree"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit],
        check=True,
        capture_output=True,
    )
    try:
        yield tree
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(tree.parent, ignore_errors=True)


def migrate(tree: Path, owner_url: str) -> str:
    """``govproj db upgrade`` from ``tree``'s code, as the chart's migration Job runs it."""
    env = {**os.environ, "PYTHONPATH": str(tree), "GOVPROJ_MIGRATION_DATABASE_URL": owner_url}
    done = subprocess.run(
        [sys.executable, "-m", "govproj.cli", "db", "upgrade"],
        cwd=tree,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    # The migration's own error, not only its exit status, when it fails.
    assert done.returncode == 0, f"govproj db upgrade failed:\n{done.stderr[-4000:]}"
    return done.stdout


@contextlib.contextmanager
def _code_from(tree: Path) -> Iterator[None]:
    # Processes are spawned with `python -m govproj.cli …`: the working directory and
    # PYTHONPATH come first on their sys.path, before the virtualenv's editable install.
    cwd, saved = Path.cwd(), os.environ.get("PYTHONPATH")
    os.chdir(tree)
    os.environ["PYTHONPATH"] = str(tree)
    try:
        yield
    finally:
        os.chdir(cwd)
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def release_stack(root: Path, tree: Path) -> contextlib.AbstractContextManager[Stack]:
    """bench.lifecycle.running_stack with the services, schema and simulators of ``tree``."""
    return running_stack(
        root,
        migrate=lambda owner_url: migrate(tree, owner_url),
        code=lambda: _code_from(tree),
        env={"PYTHONPATH": str(tree)},
    )


def _versions(stack: Stack) -> dict[str, str]:
    import psycopg

    with psycopg.connect(stack.db.admin) as conn:
        return {
            s: str(conn.execute(f"SELECT version_num FROM {s}.alembic_version").fetchone()[0])  # type: ignore[index]
            for s in SERVICES
        }


def _unapplied_types(stack: Stack) -> dict[str, dict[str, int]]:
    """Per consumer, the types of the stream events it handles that are not in its inbox."""
    import asyncio

    import psycopg

    from bench.lifecycle import _consumers, _matches, _stream_ids

    streams = {s: asyncio.run(_stream_ids(stack.nats.url, s)) for s in ("GOVPROJ", "FINANCE")}
    out: dict[str, dict[str, int]] = {}
    with psycopg.connect(stack.db.admin) as conn:
        for service, consumer, stream, filters, handled in _consumers():
            inbox = {
                str(i)
                for (i,) in conn.execute(
                    f"SELECT event_id FROM {service}.inbox WHERE consumer = %s",
                    (consumer,),
                ).fetchall()
            }
            missing = Counter(
                typ
                for i, (subj, typ) in streams[stream].items()
                if typ in handled and any(_matches(f, subj) for f in filters) and i not in inbox
            )
            if missing:
                out[consumer] = dict(missing)
    return out


def _code_of(stack: Stack) -> dict[str, str]:
    """The tree each running service was started from (its working directory)."""
    return {
        s: str(Path(f"/proc/{proc.pid}/cwd").readlink())
        for s, proc in stack.platform.procs.items()
        if s in SERVICES and proc.poll() is None
    }


def _states(stack: Stack) -> dict[str, int]:
    import psycopg

    with psycopg.connect(stack.db.admin) as conn:
        rows = conn.execute("SELECT state, count(*) FROM registry.projects GROUP BY state")
        return {str(state): int(n) for state, n in rows.fetchall()}


def _use_this_release(stack: Stack) -> None:
    # From here on every process is spawned from this release's tree (the old one's
    # working directory would come first on sys.path).
    os.chdir(REPO)
    os.environ["PYTHONPATH"] = stack.platform.env["PYTHONPATH"] = str(REPO)


def _roll(stack: Stack, after_first: Callable[[], None] | None = None) -> None:
    for k, service in enumerate(SERVICES):
        stack.platform.stop_service(service)  # SIGTERM, as Kubernetes stops a pod
        stack.platform.start_service(service)
        if k == 0 and after_first is not None:
            after_first()


def _lifecycles(stack: Stack, year: int, rate: float) -> tuple[threading.Thread, list[ProjectRun]]:
    """One lifecycle in a thread of its own, with its own Api; the list gets its run."""
    runs: list[ProjectRun] = []

    def run() -> None:
        # Its own Api: a unit officer's cached token names the unit of another load.
        api = Api(stack.platform)
        try:
            runs.extend(run_load(api, 1, rate, year=year, stage_timeout=300.0)[0])
        finally:
            api.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, runs


def _replace_simulators(stack: Stack) -> None:
    for tenant, proc in list(stack.sims.items()):
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        stack.start_simulator(tenant)


def actor_forms(nats_url: str) -> dict[str, int]:
    """How the GOVPROJ events carry ``ce-actor``, by the release and setting that sent them.

    ``0.1.0``: raw JSON with ``content-type`` (0.1.0 had no ``ce-datacontenttype``);
    ``legacy``: this release under ``GOVPROJ_EVENTS_HEADER_ENCODING=legacy``;
    ``percent``: this release under the binding's form.
    """
    import asyncio

    from tests.system.drills import _read_stream  # drills imports this module

    forms: Counter[str] = Counter()
    for event in asyncio.run(_read_stream(nats_url, "GOVPROJ")):
        if "ce-datacontenttype" not in event.headers:
            forms["0.1.0"] += 1
        elif event.headers.get("ce-actor", "").startswith('{"'):
            forms["legacy"] += 1
        else:
            forms["percent"] += 1
    return dict(forms)


def upgrade_drill(
    stack: Stack, *, projects: int, rate: float, upgrade_after: float, rolling: bool = True
) -> dict[str, Any]:
    """Lifecycles on the old release; ``upgrade_after`` s in, the new release replaces it.

    ``rolling`` (the chart's order): migrate under the running old release, then
    replace the services one by one. Otherwise: stop all, migrate, start all.
    """
    api = Api(stack.platform)
    done: dict[str, Any] = {}

    def load() -> None:
        try:
            done["runs"], done["wall"] = run_load(
                api, projects, rate, year=2032, stage_timeout=300.0
            )
        except BaseException as exc:  # re-raised below
            done["error"] = exc

    loader = threading.Thread(target=load, daemon=True)
    t0 = time.monotonic()
    loader.start()
    while time.monotonic() - t0 < upgrade_after and loader.is_alive():
        time.sleep(0.5)
    # On a loaded machine the lifecycles may not have got going yet (setting up units and
    # plans takes longer): the upgrade must catch some past 立项 and before 验收.
    while loader.is_alive() and time.monotonic() - t0 < upgrade_after + MAX_EXTRA_WAIT:
        if set(_states(stack)) - {"draft", "accepted"}:
            break
        time.sleep(0.5)
    old_versions = _versions(stack)
    old_code = _code_of(stack)
    # Where the lifecycles were when the old release stopped (registry states).
    in_flight = _states(stack)
    t_stop = time.monotonic()
    switched_at: datetime | None = None
    mixed: list[tuple[threading.Thread, list[ProjectRun]]] = []
    if rolling:
        # The chart's order: the pre-upgrade hook Job migrates while the old pods still
        # serve (migrations are expand-first), then the pods roll one service at a time,
        # old and new exchanging events meanwhile, the new ones in the form the old read.
        migrated = migrate(REPO, stack.db.owner)
        _use_this_release(stack)
        stack.platform.env[ENCODING_ENV] = "legacy"

        # A whole lifecycle with the registry new and every other service still old: the
        # old consumers must apply all the new registry sends (load timing alone may leave
        # the mixed phase without traffic on a loaded machine). It ends before the archive
        # restarts: see docs/reliability.md on the archive's replica while it backfills.
        def mixed_lifecycle() -> None:
            mixed.append(_lifecycles(stack, 2034, rate))
            mixed[-1][0].join()

        _roll(stack, after_first=mixed_lifecycle)
        # The last old replica is gone: the operator sets the binding's form (another
        # roll). Every reader must follow the binding by then, the finance system's too:
        # 0.1.0's simulator does not, so this release's replaces it first.
        _replace_simulators(stack)
        stack.platform.env[ENCODING_ENV] = "percent"
        switched_at = datetime.now(UTC)
        _roll(stack)
    else:
        # A maintenance window: everything stops, the schema moves, everything starts.
        for service in SERVICES:
            stack.platform.stop_service(service)
        migrated = migrate(REPO, stack.db.owner)
        _use_this_release(stack)
        with ThreadPoolExecutor(len(SERVICES)) as pool:
            list(pool.map(stack.platform.start_service, SERVICES))
    downtime = time.monotonic() - t_stop
    new_versions = _versions(stack)
    new_code = _code_of(stack)
    loader.join()
    if "error" in done:
        raise done["error"]
    in_flight_runs: list[ProjectRun] = done["runs"]
    during_roll: list[ProjectRun] = []
    after_switch: list[ProjectRun] = []
    if switched_at is not None:
        # One lifecycle wholly after the switch: every reader (the finance system's
        # included) takes the binding's form from every service.
        thread, after_switch = _lifecycles(stack, 2033, rate)
        for started in (thread, *(t for t, _ in mixed)):
            started.join()
        during_roll = [run for _, runs in mixed for run in runs]
    runs = in_flight_runs + during_roll + after_switch
    drain(stack)
    invariants = check_invariants(stack, runs)
    unapplied = _unapplied_types(stack)
    forms = actor_forms(stack.nats.url)
    # Every project readable on the new release, by its unit's officer and by the bureau.
    unreadable = []
    for run in runs:
        if run.project_id is None:
            unreadable.append(f"{run.tenant}: never created ({run.stopped})")
            continue
        for role in ("unit_officer", "bureau_officer"):
            r = api.call(
                "registry", "GET", f"/v1/projects/{run.project_id}", tenant=run.tenant, role=role
            )
            if r.status_code != 200:
                unreadable.append(f"{run.project_id} as {role}: {r.status_code}")
    api.close()
    unfinished = [
        f"{r.project_id}: {r.reached} ({r.stopped})" for r in runs if r.reached != "acceptance"
    ]
    dead = {s: letters for s, letters in invariants["dead_letters"].items() if letters}
    violations = [
        *invariants["violations"],
        *unreadable,
        *unfinished,
        *(f"{s}: {len(letters)} dead letters, e.g. {letters[0]}" for s, letters in dead.items()),
    ]
    return {
        "projects": projects,
        "rate": rate,
        "upgrade_after_s": upgrade_after,
        "order": "rolling (hook first)" if rolling else "stop, migrate, start",
        "registry_states_at_upgrade": in_flight,
        "code_before": sorted(set(old_code.values())),
        "code_after": sorted(set(new_code.values())),
        "schema_before": old_versions,
        "schema_after": new_versions,
        "migration_output": migrated.strip().splitlines(),
        "downtime_s": round(downtime, 1),
        "load_wall_s": round(done["wall"], 1),
        "reached": dict(Counter(r.reached for r in in_flight_runs)),
        "reached_during_roll": dict(Counter(r.reached for r in during_roll)),
        "reached_after_switch": dict(Counter(r.reached for r in after_switch)),
        "invariants": {k: invariants[k] for k in ("decisions", "effects", "archive")},
        "unapplied_by_type": unapplied,
        "actor_forms": forms,
        "switched_to_percent_at": switched_at,
        "dead_letters": dead,
        "violations": violations,
    }
