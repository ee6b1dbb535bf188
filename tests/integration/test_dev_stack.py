"""The README's first command: `govproj dev up` brings the whole platform up, `dev down` stops it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import nats
import pytest

from libs.common.settings import SERVICES
from libs.common.testing.infra import free_port


def test_dev_up_detach_serves_every_service_with_demo_data_and_down_stops_it(
    tmp_path: Path,
) -> None:
    ports = {s: free_port() for s in SERVICES}
    env = {
        **os.environ,
        "GOVPROJ_HOME": str(tmp_path / "home"),
        "GOVPROJ_DEV_PG_PORT": str(free_port()),
        "GOVPROJ_DEV_NATS_PORT": str(free_port()),
        "GOVPROJ_DEV_ISSUER_PORT": str(free_port()),
        **{f"GOVPROJ_{s.upper()}_PORT": str(p) for s, p in ports.items()},
    }
    cli = [sys.executable, "-m", "govproj.cli", "dev"]
    try:
        up = subprocess.run(
            [*cli, "up", "--detach"], env=env, capture_output=True, text=True, timeout=240
        )
        assert up.returncode == 0, up.stderr[-3000:]
        token = subprocess.run(
            [*cli, "token", "--tenant", "445322", "--role", "unit_officer"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        for service, port in ports.items():
            assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200, (
                service
            )
        units = httpx.get(
            f"http://127.0.0.1:{ports['registry']}/v1/units", headers=headers, timeout=5
        ).json()
        assert {u["name"] for u in units} >= {"郁南县政务和数据局", "郁南县教育局"}
        assert (tmp_path / "home" / "stack.json").exists()
        # The embedded NATS requires a user (one per service: ADR 0004); their
        # passwords are the owner's only.
        users = tmp_path / "home" / "nats-users.json"
        assert users.stat().st_mode & 0o077 == 0
        assert set(json.loads(users.read_text())) >= {*SERVICES, "finance", "operator"}
        nats_url = f"nats://127.0.0.1:{env['GOVPROJ_DEV_NATS_PORT']}"
        with pytest.raises(Exception, match="Authorization Violation"):
            asyncio.run(nats.connect(nats_url, allow_reconnect=False, connect_timeout=2))
    finally:
        down = subprocess.run([*cli, "down"], env=env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    for port in ports.values():
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.HTTPError:
            continue
        raise AssertionError(f"something still answers on {port} after dev down")
    assert not (tmp_path / "home" / "stack.json").exists()
