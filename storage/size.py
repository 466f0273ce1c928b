"""How big the database is: the file on disk, and how much of it holds data.

SQLite does not give deleted rows' pages back to the file system: they go on a free list and
new rows reuse them, so the file stops growing once thinning frees as much as collection adds.
Only a VACUUM (with the app stopped) shrinks the file to what is in use.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class DatabaseSize:
    used_bytes: int  # pages that hold data (SQLite: all pages less the free list)
    file_bytes: int | None = None  # the file and its write-ahead log on disk; None: not a file


def _on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def database_size(conn: AsyncConnection) -> DatabaseSize:
    if conn.dialect.name != "sqlite":
        used = (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
        return DatabaseSize(int(used))
    pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
    free = (await conn.exec_driver_sql("PRAGMA freelist_count")).scalar_one()
    page_size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
    name = conn.engine.url.database
    file = None
    if name and name != ":memory:":
        file = await asyncio.to_thread(_on_disk, Path(name))
    return DatabaseSize((pages - free) * page_size, file)
