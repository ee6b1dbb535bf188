"""The restore drill, short: back up while lifecycles run, keep writing, drop the database, restore.

Its own stack (the drill leaves events of lost writes in the streams on
purpose, which the fault test's "outbox = stream" count would rightly call a
violation). Full version and figures: ``python -m tests.system.drills restore``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.lifecycle import REPO, running_stack
from tests.system.drills import restore_drill
from tests.system.upgrade import PREVIOUS_RELEASE, checked_out, release_stack, upgrade_drill


@pytest.fixture
def root() -> Iterator[Path]:
    made = Path(tempfile.mkdtemp(prefix="govproj-drill-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


# Two minutes on a quiet machine; a loaded 2-core one stretches every restart (see
# docs/reliability.md, "The archive-kill stall"), hence the suite's 300 s is raised.
@pytest.mark.timeout(900)
def test_a_restore_loses_only_writes_after_the_backup_and_replays_nothing_twice(
    root: Path,
) -> None:
    with running_stack(root / "stack") as stack:
        # Six lifecycles, one per county; the backup 8 s in catches them mid-way.
        result = restore_drill(stack, root, projects=6, rate=1.0, backup_after=8.0)
    print(json.dumps(result, ensure_ascii=False, default=str))
    assert result["violations"] == [], result["violations"]
    writes = result["writes"]
    # The drill proves something only if writes happened on both sides of the snapshot.
    assert writes["before_snapshot"] > 0, writes
    assert writes["after_snapshot"] > 0 and writes["lost"] >= writes["after_snapshot"], writes
    # Every acknowledged write is accounted for: present, or lost after the snapshot.
    assert writes["before_snapshot_missing"] == [] and writes["after_snapshot_present"] == []
    # The lost writes left events in the stream; they were fenced, the rest converged.
    assert result["fence"]["lost_events"] > 0, result["fence"]
    assert all(c["missing"] == 0 for c in result["convergence"]["consumers"].values())
    # Objects uploaded after the snapshot are exactly what the fixity audit reports.
    fixity = result["fixity"]
    assert fixity["written_after_snapshot"] > 0, fixity
    assert fixity["other_findings"] == {}, fixity


@pytest.mark.timeout(900)
def test_an_upgrade_from_the_previous_release_finishes_every_lifecycle_in_flight(
    root: Path,
) -> None:
    with checked_out(PREVIOUS_RELEASE) as tree, release_stack(root / "stack", tree) as stack:
        # Six lifecycles on the old release; it is stopped 12 s in, with all of them mid-way.
        result = upgrade_drill(stack, projects=6, rate=1.0, upgrade_after=12.0)
    print(json.dumps(result, ensure_ascii=False, default=str))
    unapplied = result["unapplied_by_type"]
    # The two defects the drill found (see the end of this test) are let through here and
    # named there; any other violation fails.
    known = [
        v
        for v in result["violations"]
        if v.startswith("consumer ") or "malformed: ce-actor is not JSON" in v
    ]
    assert [v for v in result["violations"] if v not in known] == [], result
    dead_reasons = {
        reason for letters in result["dead_letters"].values() for _, _, reason in letters
    }
    assert dead_reasons <= {"malformed: ce-actor is not JSON"}, result["dead_letters"]
    # The drill proves something only if the upgrade caught lifecycles in flight and
    # the new release's migrations had something to do.
    assert result["registry_states_at_upgrade"], result
    assert set(result["registry_states_at_upgrade"]) != {"accepted"}, result
    assert result["schema_before"] != result["schema_after"], result
    # The old release really ran from its own tree, the new one from this one.
    assert result["code_before"] == [str(tree)] and result["code_after"] == [str(REPO)], result
    assert result["reached"] == {"acceptance": 6}, result["reached"]
    # What the drill found (2026-12-04), 1: during the roll, events of the services
    # already upgraded carry a percent-encoded ce-actor (the NATS binding, issue 19 item 2)
    # that the services not yet upgraded refuse ("ce-actor is not JSON") and dead-letter:
    # their effects are lost. 2: a consumer that the new release subscribes to a
    # new subject (registry and budget to the archive's documents, the archive to the
    # registry's projects: the replicas of this release) keeps its durable, so JetStream
    # delivers the new subject only from the upgrade on; every earlier event is missing
    # from the new replica for good. Only those may be missing; anything else fails above.
    new_subjects = {
        "registry": "govproj.archive.document.",
        "budget": "govproj.archive.document.",
        "archive": "govproj.registry.project.",
    }
    stray = {
        consumer: types
        for consumer, types in unapplied.items()
        if any(not t.startswith(new_subjects.get(consumer, "-")) for t in types)
    }
    dead_lettered = {c for c in result["dead_letters"]}
    stray = {c: t for c, t in stray.items() if c not in dead_lettered}
    assert stray == {}, unapplied
    if unapplied or result["dead_letters"]:
        pytest.xfail(
            "old consumers dead-letter the new ce-actor form, and the replicas new in this "
            f"release are not backfilled: {unapplied}; {result['dead_letters']}"
        )
