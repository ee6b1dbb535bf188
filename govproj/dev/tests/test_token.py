"""`govproj dev token`: unit-bound tokens from the command line, as Keycloak issues them."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from govproj.commands.dev import app
from libs.common.testing.infra import free_port

TENANT = "445322"
KNOWN_UNIT = "0b8a2f0e-0000-4000-8000-000000000001"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GOVPROJ_HOME", str(tmp_path))
    # A port nothing listens on: "the platform is not running".
    monkeypatch.setenv("GOVPROJ_REGISTRY_PORT", str(free_port()))
    yield


def _claims(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["token", *args])
    return result.exit_code, result.stdout, result.stderr


def test_unit_claim_is_canonical_and_user_and_name_are_the_callers(cli_env: None) -> None:
    code, out, err = _run(
        "--tenant",
        TENANT,
        "--role",
        "unit_officer",
        "--unit",
        KNOWN_UNIT.upper(),
        "--user",
        "zhangsan",
        "--name",
        "张三",
    )
    assert code == 0, err
    claims = _claims(out.strip())
    assert claims["unit"] == KNOWN_UNIT
    assert claims["sub"] == "zhangsan" and claims["name"] == "张三"
    assert claims["tenant"] == TENANT and claims["roles"] == ["unit_officer"]
    assert "登记服务未运行" in err


def test_a_unit_that_is_not_a_uuid_is_refused(cli_env: None) -> None:
    code, out, err = _run("--tenant", TENANT, "--role", "unit_officer", "--unit", "教育局")
    assert code == 2 and out == ""
    assert "不是建设单位编号" in err


def test_a_unit_officer_without_unit_is_told_it_cannot_act(cli_env: None) -> None:
    code, out, err = _run("--tenant", TENANT, "--role", "unit_officer")
    assert code == 0
    assert "unit" not in _claims(out.strip())
    assert "--unit" in err


class _Registry(BaseHTTPRequestHandler):
    """Answers GET /v1/units/{id} like the registry: one known unit of 郁南县."""

    def do_GET(self) -> None:
        unit = self.path.rsplit("/", 1)[-1]
        if unit == KNOWN_UNIT:
            body = {"id": unit, "tenant_id": TENANT, "name": "郁南县教育局"}
            status = 200
        else:
            body, status = {"status": 404}, 404
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def registry(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    monkeypatch.setenv("GOVPROJ_REGISTRY_PORT", str(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_unit_the_running_registry_does_not_know_is_refused(registry: None) -> None:
    code, out, err = _run("--tenant", TENANT, "--role", "unit_officer", "--unit", str(uuid.uuid4()))
    assert code == 2 and out == ""
    assert "没有建设单位" in err


def test_a_unit_the_running_registry_knows_is_accepted_silently(registry: None) -> None:
    code, out, err = _run("--tenant", TENANT, "--role", "unit_officer", "--unit", KNOWN_UNIT)
    assert code == 0, err
    assert _claims(out.strip())["unit"] == KNOWN_UNIT
    assert err == ""
