"""Round trips to PostgreSQL per operation: a counting proxy in front of the services.

    python -m bench.roundtrips

Starts the durable platform (registry and approval as real processes) with their
database URLs pointed at a TCP proxy that reads the PostgreSQL frontend protocol
and counts, per client process, every message that makes the client wait for the
server: ``Sync`` (the end of one extended-protocol exchange: prepare, or
bind+execute) and ``Query`` (a simple query: ``BEGIN``, ``COMMIT``). The relay
role's URL is not proxied (its idle polls never stop). Then, one at a time and
each after the platform has gone quiet:

- create a project (``POST /v1/projects``), the registry's round trips;
- submit it (``POST …/submit``), the registry's round trips;
- the approval decision that follows (the approval process applying
  ``project.submitted``: inbox, policy inputs, decision, workflow, outbox);
- the registry applying the events that come back (``project.decided``, the
  workflow's and first step's openings: the history and notifications).

Each is repeated; the first run (cold statement caches) is reported apart from
the median of the rest, since background work (the registry's tenant-tree
reload every 5 s) may land in any one run.

Results are printed and written to bench/results/roundtrips.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from bench.support import durable_platform, seed_demo_tenants, write_results  # noqa: E402
from govproj.dev.demo import project_request  # noqa: E402
from libs.common.testing.infra import free_port  # noqa: E402

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104
_WAITS = {ord("S"), ord("Q")}  # Sync, Query: the client waits for ReadyForQuery


class CountingProxy:
    """A TCP proxy to PostgreSQL counting round trips per client process."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.counts: Counter[int] = Counter()  # client pid -> round trips
        # (pid, connection, what it sent): "BEGIN;", "sync", "bind <SQL>"...
        self.log: list[tuple[int, int, str]] = []
        self._connections = 0
        self.statements: dict[str, str] = {}  # "pid:prepared name" -> its SQL
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def snapshot(self) -> Counter[int]:
        with self._lock:
            return Counter(self.counts)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    @staticmethod
    def _pid_of(peer_port: int) -> int:
        for conn in psutil.net_connections(kind="tcp4"):
            if conn.laddr and conn.laddr.port == peer_port and conn.pid:
                return int(conn.pid)
        return 0

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pid = await asyncio.to_thread(self._pid_of, writer.get_extra_info("peername")[1])
        self._connections += 1
        conn = self._connections
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        back = asyncio.create_task(self._pump(up_reader, writer))
        try:
            await self._frontend(reader, up_writer, pid, conn)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            back.cancel()
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()

    async def _frontend(
        self, reader: asyncio.StreamReader, up: asyncio.StreamWriter, pid: int, conn: int
    ) -> None:
        # Untyped messages first: SSL/GSS requests (refused by the embedded
        # server), then the startup message.
        while True:
            head = await reader.readexactly(8)
            length, code = struct.unpack("!ii", head)
            rest = await reader.readexactly(length - 8)
            up.write(head + rest)
            await up.drain()
            if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
                break
        while True:
            head = await reader.readexactly(5)
            kind, length = head[0], struct.unpack("!i", head[1:])[0]
            body = await reader.readexactly(length - 4)
            if kind in _WAITS:
                with self._lock:
                    self.counts[pid] += 1
                    self.log.append((pid, conn, "sync" if kind == ord("S") else _text(body)))
            elif kind == ord("P"):  # Parse: statement name, then the SQL
                with self._lock:
                    name, sql = body.split(b"\0", 2)[:2]
                    self.statements[f"{pid}:{_text(name)}"] = _text(sql)
            elif kind == ord("B"):  # Bind: portal name, then the statement name
                with self._lock:
                    name = _text(body.split(b"\0", 2)[1])
                    self.log.append(
                        (pid, conn, "bind " + self.statements.get(f"{pid}:{name}", name))
                    )
            up.write(head + body)
            await up.drain()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace")[:160]


def through(url: str, proxy: CountingProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    hostport = f"127.0.0.1:{proxy.port}"
    return urlunsplit(
        parts._replace(netloc=f"{netloc[0]}@{hostport}" if len(netloc) > 1 else hostport)
    )


def upstream(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


@contextlib.contextmanager
def counted_platform() -> Iterator[tuple[Any, CountingProxy]]:
    """The durable platform (registry, approval) with its app URL counted."""
    proxies: dict[str, CountingProxy] = {}

    def wrap(urls: Any) -> dict[str, str]:
        app = proxies["app"] = CountingProxy(*upstream(urls.app)).start()
        return {"app_url": through(urls.app, app)}

    with durable_platform("roundtrips", services=("registry", "approval"), wrap_urls=wrap) as bench:
        yield bench, proxies["app"]


def _quiet(proxies: tuple[CountingProxy, ...], settle: float = 1.5, limit: float = 60) -> None:
    """Wait until no proxy has counted anything for ``settle`` seconds (idle polls aside)."""
    deadline = time.monotonic() + limit
    last = [p.snapshot() for p in proxies]
    still = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = [p.snapshot() for p in proxies]
        if now != last:
            last, still = now, time.monotonic()
        elif time.monotonic() - still >= settle:
            return


def transactions(log: list[tuple[int, int, str]], names: dict[int, str]) -> list[dict[str, Any]]:
    """The log cut into transactions per connection: who, round trips, what it was."""
    open_: dict[int, dict[str, Any]] = {}
    done: list[dict[str, Any]] = []
    for pid, conn, what in log:
        tx = open_.setdefault(
            conn, {"service": names.get(pid, str(pid)), "round_trips": 0, "statements": []}
        )
        if what.startswith("bind "):
            tx["statements"].append(what[5:])
            continue
        tx["round_trips"] += 1
        if what.rstrip(";") in ("COMMIT", "ROLLBACK"):
            done.append(open_.pop(conn))
    done.extend(open_.values())
    for tx in done:
        sql = [q for q in tx["statements"] if not q.startswith("SELECT set_config")]
        tx["what"] = "ping" if sql == [";"] else (sql[0][:90] if sql else "set_config only")
        tx["background"] = ".tenants.code" in tx["what"]  # the tenant-tree reload
    return done


def summary(txs: list[dict[str, Any]], service: str, *, consumer: bool) -> dict[str, int]:
    """Round trips of ``service``'s API (or consumer) transactions, and of its pings."""
    mine = [t for t in txs if t["service"] == service and not t["background"]]
    pings = sum(t["round_trips"] for t in mine if t["what"] == "ping")
    work = [
        t
        for t in mine
        if t["what"] != "ping" and any("inbox" in q for q in t["statements"]) == consumer
    ]
    return {
        "work": sum(t["round_trips"] for t in work),
        "ping": pings,
        "transactions": len(work),
    }


def _names(running: Any) -> dict[int, str]:
    names: dict[int, str] = {}
    for service, proc in running.procs.items():
        names[proc.pid] = service
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(proc.pid).children(recursive=True):
                names[child.pid] = service
    return names


def measure(repeats: int = 5) -> dict[str, Any]:
    with counted_platform() as (bench, app):
        running = bench.running
        seed_demo_tenants(running)
        tenant = "445322"
        names = _names(running)
        with running.client("registry") as registry:
            unit = registry.post(
                "/v1/units",
                headers=running.headers(tenant, "bureau_officer"),
                json={"name": f"计数单位{uuid.uuid4().hex[:6]}"},
            ).json()["id"]
            officer = running.headers(tenant, "unit_officer", unit=unit)
            year = time.gmtime().tm_year
            runs: list[dict[str, Any]] = []
            for i in range(repeats + 1):  # the first warms the statement caches
                _quiet((app,))
                l0 = len(app.log)
                r = registry.post(
                    "/v1/projects",
                    headers=officer,
                    json=project_request(
                        f"计数项目{i}{uuid.uuid4().hex[:4]}", unit, year, "往返计数"
                    ),
                )
                assert r.status_code == 201, r.text
                created = transactions(app.log[l0 : len(app.log)], names)
                _quiet((app,))
                l1 = len(app.log)
                s = registry.post(f"/v1/projects/{r.json()['id']}/submit", headers=officer)
                assert s.status_code == 200, s.text
                l2 = len(app.log)
                _quiet((app,))
                submitted = transactions(app.log[l1:l2], names)
                after = transactions(app.log[l2:], names)
                runs.append(
                    {
                        "create (registry API request)": summary(
                            created, "registry", consumer=False
                        ),
                        "submit (registry API request)": summary(
                            submitted, "registry", consumer=False
                        ),
                        "decision (approval consumer)": summary(after, "approval", consumer=True),
                        "events back (registry consumer)": summary(
                            after, "registry", consumer=True
                        ),
                        "transactions": {"create": created, "submit": submitted, "after": after},
                    }
                )
    keys = [k for k in runs[0] if k != "transactions"]
    steady = runs[1:]
    return {
        "cold": {k: runs[0][k] for k in keys},
        "median": {
            k: {m: sorted(r[k][m] for r in steady)[len(steady) // 2] for m in runs[0][k]}
            for k in keys
        },
        "runs": runs,
    }


def main() -> None:
    result = measure()
    for what, n in result["median"].items():
        print(
            f"{what:36} {n['work']:3d} round trips in {n['transactions']} transaction(s)"
            f" + {n['ping']} pinging a rested connection (cold: {result['cold'][what]['work']})"
        )
    write_results("roundtrips", result)


if __name__ == "__main__":
    main()
