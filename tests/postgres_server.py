"""PostgreSQL for the test session: a throwaway server, or one named by CHANNELPULSE_TEST_POSTGRES_URL.

The throwaway server is `initdb` in a temporary folder and `pg_ctl` on a free loopback port, stopped
and its folder removed when the session ends (or, should the fixture's teardown never run, when the
interpreter exits). initdb refuses to run as root, so as root the server runs as the `postgres` user,
in a folder that user owns.

Each test gets a database of its own, copied from one template migrated once per session: a copy is
a file copy on the server, far cheaper than running the migrations again.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from sqlalchemy.engine import URL, make_url

ENV_URL = "CHANNELPULSE_TEST_POSTGRES_URL"
# The server's own time zone, for every session: not UTC, with a half-hour offset and daylight saving,
# so code that leaves a time zone to the server shows it (a real server runs in its machine's zone).
SERVER_TIMEZONE = "America/St_Johns"
_SERVER_OPTIONS = (
    # A database that is thrown away needs no durability: no fsync, no full pages in the WAL.
    "-F -c full_page_writes=off -c synchronous_commit=off "
    f"-c timezone={SERVER_TIMEZONE} -c max_connections=200"
)


class PostgresUnavailable(Exception):
    """No PostgreSQL for this session; the message says why in one line."""


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/N/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def why_unavailable() -> str | None:
    """None when this session can have PostgreSQL, else why not, in a few words."""
    if os.environ.get(ENV_URL):
        return None
    return why_no_throwaway()


def why_no_throwaway() -> str | None:
    """None when this machine can start a throwaway server (one a test may restart), else why not."""
    if find_binaries() is None:
        return "no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and no `postgres` user to run initdb as"
    return None


def _version(folder: str) -> int:
    name = Path(folder).parent.name
    return int(name) if name.isdigit() else 0


@dataclass
class Cluster:
    """A server the tests may create databases in, through `admin` (an asyncpg DSN)."""

    admin: URL
    description: str
    template: str = field(default_factory=lambda: f"pulse_test_template_{os.getpid()}")
    _names: count[int] = field(default_factory=count)

    def sqlalchemy_url(self, database: str) -> str:
        return self.admin.set(drivername="postgresql+asyncpg", database=database).render_as_string(
            hide_password=False
        )

    def asyncpg_dsn(self, database: str | None = None) -> str:
        url = self.admin.set(drivername="postgresql")
        if database is not None:
            url = url.set(database=database)
        return url.render_as_string(hide_password=False)

    def new_name(self) -> str:
        return f"pulse_test_{os.getpid()}_{next(self._names)}"


def from_env() -> Cluster | None:
    """The existing server CHANNELPULSE_TEST_POSTGRES_URL names, if it is set."""
    raw = os.environ.get(ENV_URL)
    if not raw:
        return None
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        raise PostgresUnavailable(f"{ENV_URL} is not a postgresql:// URL")
    return Cluster(url, f"the server at {url.render_as_string(hide_password=True)} ({ENV_URL})")


@dataclass
class ThrowawayServer:
    """initdb + pg_ctl in a temporary folder; `stop` is safe to call more than once.

    A watchdog shell stops the server and removes the folder once this process is gone, however it
    went (a crash, SIGTERM, SIGKILL), when neither the fixture's teardown nor atexit could run.
    """

    binaries: Path
    folder: Path = field(init=False)
    port: int = 0
    _running: bool = False
    _run_as: list[str] = field(default_factory=list)
    _watchdog: subprocess.Popen[bytes] | None = None

    def start(self) -> Cluster:
        self.folder = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
        atexit.register(self.stop)
        run_as = self._run_as
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")  # there is one: see `why_unavailable`
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            run_as += ["runuser", "-u", "postgres", "--"]
        self._run([*run_as, str(self.binaries / "initdb"), "-D", str(self.data), "-A", "trust",
                   "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"])
        self.port = _free_port()
        self._running = True
        self._start_server()
        self._start_watchdog()
        admin = URL.create("postgresql", username="postgres", host="127.0.0.1", port=self.port,
                           database="postgres")
        return Cluster(admin, f"a throwaway server from {self.binaries} on 127.0.0.1:{self.port}")

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _start_server(self) -> None:
        self._run([*self._run_as, str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l",
                   str(self.folder / "server.log"), "-w", "-t", "120", "-o",
                   f"-h 127.0.0.1 -p {self.port} -k {self.folder} {_SERVER_OPTIONS}", "start"])

    def restart(self, down_seconds: float = 0.0) -> None:
        """A fast shutdown (every connection terminated, as `pg_ctl restart -m fast` does), the server
        gone `down_seconds`, then started again on the same port; back when this returns."""
        self.shut_down()
        time.sleep(down_seconds)
        self.start_again()

    def shut_down(self) -> None:
        """A fast shutdown that keeps the data folder, for `start_again`."""
        self._run([*self._run_as, str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                   "-w", "-t", "120", "stop"])

    def start_again(self) -> None:
        self._start_server()

    def _stop_argv(self) -> list[str]:
        # immediate: nothing in it is worth a clean shutdown's checkpoint
        return [*self._run_as, str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                "-w", "stop"]

    def _start_watchdog(self) -> None:
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"{shlex.join(self._stop_argv())} >/dev/null 2>&1; rm -rf {shlex.quote(str(self.folder))}"
        )
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script], start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self._running:
            self._running = False
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
                self._run(self._stop_argv())
        if self._watchdog is not None:
            self._watchdog.kill()  # the shell we started above; the server is already stopped
            self._watchdog.wait()
            self._watchdog = None
        if getattr(self, "folder", None) is not None and self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}"
            )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
