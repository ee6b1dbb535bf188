"""A real S3-compatible server for tests: ministack, from its own virtualenv.

ministack (PyPI) implements versioning, object lock, COMPLIANCE retention that
cannot be shortened, and legal hold (docs/adr/0002-s3-test-server.md). It pins
its own botocore, so it never goes into the project's environment: it gets a
virtualenv of its own under the cache directory, created once and reused.

``GOVPROJ_TEST_S3_ENDPOINT`` (``host:port``) with ``GOVPROJ_TEST_S3_ACCESS_KEY``,
``GOVPROJ_TEST_S3_SECRET_KEY``, and optionally ``GOVPROJ_TEST_S3_SECURE`` and
``GOVPROJ_TEST_S3_REGION`` points the tests at an external server instead (a
MinIO, say); nothing is then installed or started.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from libs.common.testing.processes import stop_process

if TYPE_CHECKING:
    from libs.common.storage import S3Store

__all__ = ["MINISTACK_VERSION", "S3Server", "ministack_venv"]

# The version whose object-lock behaviour the ADR records; bump it deliberately.
MINISTACK_VERSION = "1.5.33"
_INSTALLED_MARK = ".govproj-installed"


def _cache_dir() -> Path:
    if home := os.environ.get("GOVPROJ_HOME"):
        return Path(home).resolve() / "tools"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govproj"


def ministack_venv(directory: Path | None = None) -> Path:
    """Create (once) a virtualenv holding ministack and return its directory.

    The default is ``$GOVPROJ_MINISTACK_VENV``, else ``$GOVPROJ_HOME/tools/ministack-venv``,
    else ``~/.cache/govproj/ministack-venv``. Concurrent callers wait on a file lock.
    """
    if directory is None:
        env = os.environ.get("GOVPROJ_MINISTACK_VENV")
        directory = Path(env) if env else _cache_dir() / "ministack-venv"
    mark = directory / _INSTALLED_MARK
    if mark.is_file() and mark.read_text().strip() == MINISTACK_VERSION:
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    with (directory.parent / f"{directory.name}.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if mark.is_file() and mark.read_text().strip() == MINISTACK_VERSION:
            return directory
        python = directory / "bin" / "python"
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
        requirement = f"ministack=={MINISTACK_VERSION}"
        uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
        if uv:
            cmd = [uv, "pip", "install", "--quiet", "--python", str(python), requirement]
        else:
            cmd = [str(python), "-m", "pip", "install", "--quiet", requirement]
        subprocess.run(cmd, check=True)
        mark.write_text(MINISTACK_VERSION + "\n")
    return directory


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class S3Server:
    """A context manager yielding an S3 endpoint: an external one, or ministack started here.

    Attributes ``endpoint`` (``host:port``, as the minio SDK takes it),
    ``access_key``, ``secret_key``, ``secure`` and ``region`` describe it once
    entered.
    """

    def __init__(self, *, startup_timeout: float = 60.0, venv: Path | None = None) -> None:
        self.startup_timeout = startup_timeout
        self.venv = venv
        self.endpoint = ""
        self.access_key = "govproj-test"
        self.secret_key = "govproj-test-secret"  # noqa: S105 - a local test server's
        self.secure = False
        self.region = "us-east-1"
        self.external = False
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """The endpoint as a URL."""
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"

    def store(self) -> S3Store:
        """An :class:`~libs.common.storage.S3Store` on this server."""
        from libs.common.storage import S3Store

        return S3Store(
            self.endpoint, self.access_key, self.secret_key, secure=self.secure, region=self.region
        )

    def start(self) -> None:
        """Use the external endpoint if one is configured, else install and start ministack."""
        if external := os.environ.get("GOVPROJ_TEST_S3_ENDPOINT"):
            self.endpoint = external.removeprefix("http://").removeprefix("https://").rstrip("/")
            self.secure = external.startswith("https://") or os.environ.get(
                "GOVPROJ_TEST_S3_SECURE", ""
            ).lower() in ("1", "true", "yes")
            self.access_key = os.environ.get("GOVPROJ_TEST_S3_ACCESS_KEY", self.access_key)
            self.secret_key = os.environ.get("GOVPROJ_TEST_S3_SECRET_KEY", self.secret_key)
            self.region = os.environ.get("GOVPROJ_TEST_S3_REGION", self.region)
            self.external = True
            return
        venv = ministack_venv(self.venv)
        port = _free_port()
        self._workdir = tempfile.TemporaryDirectory(prefix="govproj-ministack-")
        workdir = Path(self._workdir.name)
        env = {
            **os.environ,
            "GATEWAY_PORT": str(port),
            "BIND_HOST": "127.0.0.1",
            "SERVICES": "s3",
            "LOG_LEVEL": "WARNING",
            "S3_PERSIST": "0",
            "MINISTACK_REGION": self.region,
            # ministack writes its pid file and logs under TMPDIR: keep them ours.
            "TMPDIR": str(workdir),
        }
        log = (workdir / "ministack.log").open("wb")
        self._process = subprocess.Popen(
            [str(venv / "bin" / "ministack")],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self.endpoint = f"127.0.0.1:{port}"
        self._wait_ready(workdir / "ministack.log")

    def _wait_ready(self, log: Path) -> None:
        process = self._process
        assert process is not None
        deadline = time.monotonic() + self.startup_timeout
        health = f"{self.url}/_ministack/health"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = log.read_text(errors="replace")[-4000:]
                self.stop()
                raise RuntimeError(f"ministack exited with {process.returncode}:\n{output}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(health, timeout=1) as response,  # noqa: S310 - our URL
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"ministack did not answer on {health} within {self.startup_timeout}s")

    def stop(self) -> None:
        """Stop the server this object started (an external one is left alone)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            stop_process(process)
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
