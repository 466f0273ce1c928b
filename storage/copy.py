"""Every row of one database copied into another, empty one: moving up from SQLite to PostgreSQL.

Both databases are migrated to the same revision first (`open_database`), so the tables match. The
source is read in one transaction (one snapshot); the target is written in one transaction, so a
copy that fails part-way leaves the target as empty as it was. The row counts of both are compared
before the target commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Integer, Table, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import read, write
from storage.tables import dashboard_logins, dashboard_sessions, heartbeats, metadata

BATCH = 2_000
# A heartbeat describes the process that wrote it, not data: the new database gets its own. Dashboard
# links and sessions are minutes to hours long: whoever moves the database logs in again.
SKIPPED = (heartbeats, dashboard_logins, dashboard_sessions)
KINDS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


class CopyError(Exception):
    """The copy cannot be made or did not match; the message is one line saying why."""


@dataclass(frozen=True)
class CopyReport:
    row_counts: tuple[tuple[str, int], ...]  # (table, rows), the same on both sides


def copied_tables() -> list[Table]:
    """The tables copied, parents before the tables that refer to them."""
    return [t for t in metadata.sorted_tables if t not in SKIPPED]


async def copy_database(
    source: AsyncEngine, target: AsyncEngine, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy every row of `source` into `target`, whose tables must all be empty. `progress` is told
    each table's name and the rows copied so far."""
    async with read(source) as src, write(target) as dst:
        if taken := [t.name for t in copied_tables() if await _count(dst, t)]:
            raise CopyError(
                f"the target database is not empty ({', '.join(taken)} already hold rows): "
                "give an empty database, e.g. createdb a new one"
            )
        counts = []
        for table in copied_tables():
            rows = 0
            result = await src.stream(select(table))
            async for batch in result.mappings().partitions(BATCH):
                try:
                    await dst.execute(table.insert(), [dict(row) for row in batch])
                except DBAPIError as exc:
                    reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
                    kind = KINDS.get(dst.dialect.name, dst.dialect.name)
                    raise CopyError(
                        f"{table.name}: {kind} refused a row ({reason}); nothing was kept"
                    ) from None
                rows += len(batch)
                if progress is not None:
                    progress(table.name, rows)
            here, there = await _count(src, table), await _count(dst, table)
            if here != rows or there != rows:
                raise CopyError(f"{table.name}: {here} rows in the source, {there} copied; nothing was kept")
            counts.append((table.name, rows))
        if dst.dialect.name == "postgresql":
            await _continue_sequences(dst)
    return CopyReport(tuple(counts))


async def _count(conn: AsyncConnection, table: Table) -> int:
    return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def _continue_sequences(conn: AsyncConnection) -> None:
    """Rows came with their ids; each id sequence goes on after the largest copied, so the next
    row inserted does not collide with one."""
    for table in copied_tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True and isinstance(column.type, Integer):
                await conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                         f"coalesce(max({column.name}), 1), max({column.name}) IS NOT NULL) "
                         f"FROM {table.name}"),
                    {"table": table.name, "column": column.name},
                )
