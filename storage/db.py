"""The async engine: SQLite pragmas on every connection, immediate write transactions, upserts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("storage")

BUSY_TIMEOUT_MS = 10_000
# SQLite connections kept open for reuse. SQLAlchemy's default (5, and 10 more opened and closed as
# needed) made the API under 16 concurrent requests open and close a connection, with its aiosqlite
# thread and pragmas, on most requests; an open SQLite connection costs a thread and a little memory.
SQLITE_POOL_SIZE = 20
# When SQLite's busy timeout runs out (another process, e.g. `collect` or a long writer, kept the
# write lock longer), a write waits these pauses more, one attempt after each, before it gives up:
# with the default timeout, about 45 s in all.
LOCK_BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0)
T = TypeVar("T")


def create_engine(url: str) -> AsyncEngine:
    """Build the engine for `url`; for SQLite, create the file's folder and set the pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    pool: dict[str, Any] = {}  # an in-memory database is one connection, SQLAlchemy's StaticPool
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pool = {"pool_size": SQLITE_POOL_SIZE}
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **pool)
    _install_sqlite_events(engine)
    return engine


def _install_sqlite_events(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN, so writes can begin IMMEDIATE.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("pulse_each_statement"):
            return  # no transaction: each statement reads what is committed when it runs
        # A writer takes the lock at BEGIN, so a reader that later writes never deadlocks it.
        mode = "DEFERRED" if options.get("pulse_read_only") else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_locked(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" (SQLITE_BUSY/SQLITE_LOCKED), which waiting may cure."""
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    name = str(getattr(orig, "sqlite_errorname", ""))
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(orig)


@dataclass
class WriteTally:
    """What the current task's writes did (see `counting_writes`)."""

    committed: int = 0
    gave_up: int = 0  # writes that met a lock through every retry of LOCK_BACKOFF


_tally: ContextVar[WriteTally | None] = ContextVar("pulse_write_tally", default=None)


@contextmanager
def counting_writes() -> Iterator[WriteTally]:
    """Count the writes committed (or given up) inside the block, so a caller knows whether running
    it again is safe, and worth it."""
    tally = WriteTally()
    token = _tally.set(tally)
    try:
        yield tally
    finally:
        _tally.reset(token)


@asynccontextmanager
async def write(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction: committed on exit, rolled back whole on any error or cancellation.

    Writes begin IMMEDIATE, so a lock held elsewhere is met at BEGIN, before the body has run:
    that is the one point where retrying can neither repeat nor lose anything, so it is retried
    there (see LOCK_BACKOFF) and the body runs once.
    """
    async with AsyncExitStack() as stack:
        for attempt, pause in enumerate((*LOCK_BACKOFF, None), start=1):
            try:
                conn = await stack.enter_async_context(engine.begin())
                break
            except OperationalError as exc:
                if not is_locked(exc):
                    raise
                if pause is None:
                    if (tally := _tally.get()) is not None:
                        tally.gave_up += 1
                    raise
                log.warning(
                    "the database is busy (another process is writing); write attempt %d failed, "
                    "retrying in %.1f s", attempt, pause,
                )
                await asyncio.sleep(pause)
        yield conn
    if (tally := _tally.get()) is not None:
        tally.committed += 1


@asynccontextmanager
async def read(engine: AsyncEngine, snapshot: bool = True) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction that never takes the write lock. With `snapshot` off, for reads whose
    statements need not agree with each other, SQLite runs each statement on its own (its BEGIN and
    the hops to the driver's thread it costs are left out); PostgreSQL reads as with it on."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(pulse_read_only=True, pulse_each_statement=not snapshot)
        yield conn


async def retry_locked(fn: Callable[[], Awaitable[T]], attempts: int = 5, delay: float = 0.2) -> T:
    """Run `fn`, retrying when SQLite still says "database is locked" after its busy timeout.

    Only for work that is safe to repeat whole (idempotent upserts, a migration that failed at BEGIN).
    """
    for attempt in range(1, attempts + 1):
        try:
            return await fn()
        except OperationalError as exc:
            if not is_locked(exc) or attempt == attempts:
                raise
            log.warning("database is locked; retrying (attempt %d of %d)", attempt, attempts)
            await asyncio.sleep(delay * attempt)
    raise AssertionError("unreachable")


def insert_for(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL share the syntax)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
