"""Redis and PostgreSQL servers that tests (and bench/backends.py) start for themselves.

Each server runs from a temporary folder on a free loopback port, as a child of the test process,
never as a system service, and is stopped when the test is done. Without the server program or its
Python client, a test that needs it skips locally, with the line that installs it, and fails under
``CI=true``: CI installs both (``.ci/run``) and must run these tests.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` account that
Debian's package creates, and its folder is made that account's.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REDIS_INSTALL = "apt-get install redis-server && pip install -e '.[servers]'"
POSTGRES_INSTALL = "apt-get install postgresql && pip install -e '.[servers]'"
START_SECONDS = 30.0  # a cold start on a busy machine; a server that is not up by then has failed


def missing(reason: str) -> None:
    """Skip (locally) or fail (under CI=true) a test whose server cannot be had."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI installs it in .ci/run", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes] | None, sig: int) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=START_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    """redis-server on 127.0.0.1 in ``folder``, keeping what it acknowledged (append-only file, an
    fsync before every reply) and evicting nothing, as spec 9.6 asks of a shared replay cache."""

    def __init__(self, folder: Path) -> None:
        self.program = shutil.which("redis-server")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.program is not None
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--save", "",
                     "--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction",
                     "--daemonize", "no", "--logfile", str(self.folder / "redis.log")]
        self.process = subprocess.Popen([self.program, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "redis.log").read_text(errors="replace")[-2000:] if (self.folder / "redis.log").exists() else ""
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}: {log}")
            time.sleep(0.02)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGTERM (a clean shutdown), or SIGKILL as a crash would."""
        _stop(self.process, signal.SIGKILL if kill else signal.SIGTERM)


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


class PostgresServer:
    """A PostgreSQL cluster of its own in ``folder``: initdb, then postgres on 127.0.0.1.

    Authentication is ``trust`` on loopback only, for the role ``xc``; ``database()`` creates a new
    database per test, so that tests sharing the cluster share nothing else.
    """

    ROLE = "xc"

    def __init__(self, folder: Path, *, fsync: bool = False) -> None:
        self.bin = _postgres_bin()
        self.folder = folder
        self.fsync = fsync
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._databases = 0
        self._user: dict[str, Any] = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")  # KeyError: no account to run it as (caught by the fixture)
            os.chown(folder, account.pw_uid, account.pw_gid)
            self._user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.ROLE}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        assert self.bin is not None
        data = self.folder / "data"
        if not data.exists():
            subprocess.run(
                [str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", self.ROLE, "-E", "UTF8", "--no-sync", "--no-instructions"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **self._user,
            )
        options = ["-D", str(data), "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.folder), "-c", f"fsync={'on' if self.fsync else 'off'}"]
        log = open(self.folder / "postgres.log", "ab")
        try:
            self.process = subprocess.Popen([str(self.bin / "postgres"), *options], stdout=log, stderr=log, **self._user)
        finally:
            log.close()
        deadline = time.monotonic() + START_SECONDS
        import psycopg

        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postgres did not start: {(self.folder / 'postgres.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)

    def database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"t{self._databases}"
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGINT (fast shutdown: running transactions roll back), or SIGKILL."""
        _stop(self.process, signal.SIGKILL if kill else signal.SIGINT)


def _folder(prefix: str) -> Path:
    # Not pytest's tmp_path: that folder is its owner's alone, and PostgreSQL runs as another account.
    return Path(tempfile.mkdtemp(prefix=prefix))


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A running redis-server of this test's own."""
    if shutil.which("redis-server") is None:
        missing(f"redis-server is not installed: {REDIS_INSTALL}")
    try:
        import redis  # noqa: F401
    except ImportError:
        missing(f"the redis client is not installed: {REDIS_INSTALL}")
    folder = _folder("xc-redis-")
    server = RedisServer(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster shared by the tests of one module; each takes a database with ``database()``."""
    if _postgres_bin() is None:
        missing(f"PostgreSQL is not installed: {POSTGRES_INSTALL}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing(f"the psycopg client is not installed: {POSTGRES_INSTALL}")
    folder = _folder("xc-postgres-")
    try:
        server = PostgresServer(folder)
    except KeyError:
        shutil.rmtree(folder, ignore_errors=True)
        missing("PostgreSQL does not run as root, and there is no postgres account to run it as")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
