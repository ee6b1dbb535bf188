"""Record the decisions of decision_samples.py into fixtures/recorded_decisions.jsonl
(one decision a line).

Run ``python -m libs.policy.tests.record_decisions`` only when a change is meant
to change decisions (a pack edited, a new pack): the file is the reference the
faster evaluator is held to, and was first written by the evaluator before it.
"""

from __future__ import annotations

import json

from libs.policy import load_registry
from libs.policy.tests.decision_samples import POLICIES, RECORDED, decide, sample_key, samples


def main() -> None:
    registry = load_registry(POLICIES)
    recorded = [{**sample_key(s), "decision": decide(s)} for s in samples(registry)]
    RECORDED.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in recorded) + "\n",
        encoding="utf-8",
    )
    print(f"{len(recorded)} decisions recorded in {RECORDED}")


if __name__ == "__main__":
    main()
