"""One stack of our own for the system proof: the fault test kills its PostgreSQL and NATS.

The integration suite's session platform shares its servers with every other
test; here the stack (durable PostgreSQL, nats-server, clamd, issuer, the five
services, a finance simulator per county) belongs to this package alone, so a
SIGKILL of any part hurts no one else. Canary data is planted in 湘桥区 first.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.lifecycle import Stack, running_stack
from tests.system.sweep import Canary, plant_canary


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="govproj-system-"))
    with running_stack(root, durable=True) as running:
        yield running


@pytest.fixture(scope="package")
def canary(stack: Stack) -> Canary:
    return plant_canary(stack.platform)
