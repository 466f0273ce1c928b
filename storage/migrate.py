"""Bring a database to the newest schema, from inside a running event loop (through `run_sync`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, retry_locked

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaTooNewError(Exception):
    """The database was written by a newer ChannelPulse than this one."""


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _up_to_date(connection: Connection) -> bool:
    script = ScriptDirectory.from_config(_config(connection))
    current = MigrationContext.configure(connection).get_current_heads()
    return bool(current) and set(current) == set(script.get_heads())


def _upgrade(connection: Connection, target: str) -> None:
    current = _current(connection)
    if current is not None and not _known(ScriptDirectory.from_config(_config(connection)), current):
        raise SchemaTooNewError(
            f"the database is at schema {current}, newer than this ChannelPulse knows "
            f"(newest: {head_revision()}); upgrade ChannelPulse or point DATABASE_URL elsewhere"
        )
    command.upgrade(_config(connection), target)


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


async def migrate(engine: AsyncEngine, target: str = "heads") -> None:
    """Upgrade the database to `target` (the newest schema by default)."""
    # Checked without the write lock first: every command opens the database this way, and
    # `stats` or `status` must not wait on (or fail behind) a collection that is writing.
    if target == "heads":
        async with engine.connect() as conn:
            conn = await conn.execution_options(pulse_read_only=True)
            if await conn.run_sync(_up_to_date):
                return
    # An upgrade that meets a lock fails at its BEGIN, before any step ran: safe to run again.
    await retry_locked(lambda: _upgrade_once(engine, target))


async def _upgrade_once(engine: AsyncEngine, target: str) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(_upgrade, target)
        await conn.commit()


async def downgrade(engine: AsyncEngine, target: str) -> None:
    """Step the schema down to `target` (for tests and recovery)."""
    async with engine.connect() as conn:
        await conn.run_sync(lambda c: command.downgrade(_config(c), target))
        await conn.commit()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema revision the database is at, or None when it is empty."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(pulse_read_only=True)  # never waits on a writer
        return await conn.run_sync(_current)


async def open_database(url: str) -> AsyncEngine:
    """Create the engine for `url` and bring its schema to the newest revision."""
    engine = create_engine(url)
    try:
        await migrate(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine
