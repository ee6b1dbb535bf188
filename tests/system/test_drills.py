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


# Two rolls of five services: 14 minutes on a 2-core machine at load 20 (2026-12-04).
@pytest.mark.timeout(1500)
def test_an_upgrade_from_the_previous_release_finishes_every_lifecycle_in_flight(
    root: Path,
) -> None:
    with checked_out(PREVIOUS_RELEASE) as tree, release_stack(root / "stack", tree) as stack:
        # Six lifecycles on the old release; it is stopped 12 s in, with all of them mid-way.
        result = upgrade_drill(stack, projects=6, rate=1.0, upgrade_after=12.0)
    print(json.dumps(result, ensure_ascii=False, default=str))
    # Nothing dead-lettered (the old consumers read what the new replicas sent during the
    # roll), every replica new in this release holds the events from before the upgrade,
    # every acknowledged write is there and no effect was applied twice.
    assert result["violations"] == [], result["violations"]
    assert result["dead_letters"] == {}, result["dead_letters"]
    assert result["unapplied_by_type"] == {}, result["unapplied_by_type"]
    # The drill proves something only if the upgrade caught lifecycles in flight and
    # the new release's migrations had something to do.
    assert result["registry_states_at_upgrade"], result
    assert set(result["registry_states_at_upgrade"]) != {"accepted"}, result
    assert result["schema_before"] != result["schema_after"], result
    # The old release really ran from its own tree, the new one from this one.
    assert result["code_before"] == [str(tree)] and result["code_after"] == [str(REPO)], result
    assert result["reached"] == {"acceptance": 6}, result["reached"]
    # Both phases happened: events of 0.1.0, of this release in the form 0.1.0 reads
    # (GOVPROJ_EVENTS_HEADER_ENCODING=legacy, while old replicas ran), and of this release
    # in the binding's form once the operator switched.
    forms = result["actor_forms"]
    assert forms.get("0.1.0", 0) > 0 and forms.get("legacy", 0) > 0, forms
    assert forms.get("percent", 0) > 0, forms
    # One lifecycle with the registry new and the rest old, one after the switch.
    assert result["reached_during_roll"] == {"acceptance": 1}, result
    assert result["reached_after_switch"] == {"acceptance": 1}, result
