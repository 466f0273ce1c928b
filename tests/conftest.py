"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL, and a fixed `now`.

The storage, analytics, collector, bot and app suites run every test that opens the database on
both backends (`db_backend`). PostgreSQL is a throwaway server started for the session (see
tests/postgres_server.py) or the one CHANNELPULSE_TEST_POSTGRES_URL names; without either, the run
says so in one line and uses SQLite only. A test that can only mean SQLite is marked
`sqlite_only("why")` and skipped on PostgreSQL with that reason.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import open_database
from tests.postgres_server import (
    ENV_URL,
    Cluster,
    PostgresUnavailable,
    ThrowawayServer,
    find_binaries,
    from_env,
    why_unavailable,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TESTS = Path(__file__).parent
BOTH_BACKENDS = ("storage", "analytics", "collector", "bot", "app")
_postgres = pytest.StashKey[str | None]()  # None: available; else why not, in one line
_started = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): skipped on PostgreSQL, for `reason`")
    config.stash[_postgres] = unavailable_line()


def unavailable_line() -> str | None:
    """The one line a run without PostgreSQL ends with, or None when this run has PostgreSQL."""
    why_not = why_unavailable()
    if why_not is None:
        return None
    return f"PostgreSQL: not tested ({why_not}; install postgresql or set {ENV_URL}), ran SQLite only"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" not in metafunc.fixturenames:
        return
    suite = metafunc.definition.path.relative_to(TESTS).parts[0]
    if suite in BOTH_BACKENDS and metafunc.config.stash[_postgres] is None:
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    line = config.stash[_postgres] or config.stash.get(_started, None)
    if line:
        terminalreporter.write_line(line)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """With pytest-xdist (`make test`), each worker starts its own server: the line comes from them."""
    if line := getattr(node, "workeroutput", {}).get("postgres_started"):
        node.config.stash[_started] = f"{line} (one per test worker)"


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run set-up work outside the tests' event loops, on a loop of its own."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coro)
    finally:
        loop.close()


async def _make_template(cluster: Cluster) -> None:
    admin = await asyncpg.connect(cluster.asyncpg_dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{cluster.template}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{cluster.template}"')
    finally:
        await admin.close()
    engine = await open_database(cluster.sqlalchemy_url(cluster.template))
    await engine.dispose()  # a template may have no connections when it is copied


async def _drop(cluster: Cluster, *names: str) -> None:
    admin = await asyncpg.connect(cluster.asyncpg_dsn())
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def postgres_cluster(pytestconfig: pytest.Config) -> Iterator[Cluster]:
    """The PostgreSQL server for this session, with the template every test's database copies."""
    server = None
    try:
        cluster = from_env()
        if cluster is None:
            binaries = find_binaries()
            assert binaries is not None, "pytest_configure found them"
            server = ThrowawayServer(binaries)
            cluster = server.start()
    except PostgresUnavailable as exc:
        raise RuntimeError(f"PostgreSQL: {exc}") from exc
    try:
        _run(_make_template(cluster))
        pytestconfig.stash[_started] = f"PostgreSQL: tests ran on {cluster.description}"
        if hasattr(pytestconfig, "workeroutput"):  # a pytest-xdist worker: tell the controller
            pytestconfig.workeroutput["postgres_started"] = pytestconfig.stash[_started]
        yield cluster
    finally:
        if server is not None:
            server.stop()
        else:
            _run(_drop(cluster, cluster.template))


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        if (marker := request.node.get_closest_marker("sqlite_only")) is not None:
            pytest.skip(f"SQLite only: {marker.args[0]}")
        request.getfixturevalue("postgres_cluster")  # started here, outside any test's event loop
    return backend


@pytest.fixture
def now() -> datetime:
    return NOW


async def _new_database(request: pytest.FixtureRequest, template: str | None) -> AsyncIterator[str]:
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    name = cluster.new_name()
    admin = await asyncpg.connect(cluster.asyncpg_dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template or "template0"}"')
    finally:
        await admin.close()
    yield cluster.sqlalchemy_url(name)
    await _drop(cluster, name)


@pytest.fixture
async def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A database of this test's own: a file not yet created, or a copy of the migrated template."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'pulse.db'}"
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    async for url in _new_database(request, cluster.template):
        yield url


@pytest.fixture
async def empty_db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A database with no schema at all: a file not yet created, or an empty PostgreSQL database."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'pulse.db'}"
        return
    async for url in _new_database(request, None):
        yield url


@pytest.fixture
def postgres_available(request: pytest.FixtureRequest) -> None:
    """Skips the test with the reason when this run has no PostgreSQL; else starts the server here,
    outside any test's event loop."""
    if (why_not := request.config.stash[_postgres]) is not None:
        pytest.skip(why_not)
    request.getfixturevalue("postgres_cluster")


@pytest.fixture
async def postgres_db_url(postgres_available: None, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """An empty PostgreSQL database (no schema), whatever backend the test runs on otherwise: for
    moving data from SQLite into PostgreSQL."""
    async for url in _new_database(request, None):
        yield url


@pytest.fixture
async def queue_db_url(postgres_available: None, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A migrated PostgreSQL database (procrastinate's queue included), whatever backend the test
    runs on otherwise: the split roles need PostgreSQL."""
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    async for url in _new_database(request, cluster.template):
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await open_database(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's .env or environment settings."""
    monkeypatch.chdir(tmp_path)
    prefixes = ("MTPROTO_", "TELEGRAM_", "BOT_", "ADMIN_", "DATABASE_", "DIGEST_", "LOG_", "API_")
    for name in list(os.environ):
        if name.startswith(prefixes):
            monkeypatch.delenv(name)
