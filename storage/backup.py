"""A consistent copy of the SQLite database while the app runs, through SQLite's online backup API."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite
from sqlalchemy.engine import make_url

from storage.db import BUSY_TIMEOUT_MS


class BackupError(Exception):
    """The backup cannot be made; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    row_counts: tuple[tuple[str, int], ...]  # (table, rows), by table name


def sqlite_path(url: str) -> Path:
    """The database file behind an SQLite URL, or BackupError for anything else."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            f"DATABASE_URL is {parsed.get_backend_name()}, not SQLite: back it up with the server's "
            "own tools (for PostgreSQL, pg_dump)"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("DATABASE_URL names an in-memory database; there is no file to back up")
    return Path(parsed.database)


def default_backup_path(db: Path, now: datetime) -> Path:
    """`data/pulse.db` at 12:00 UTC → `data/pulse-backup-20260302T120000Z.db`, beside the database."""
    return db.with_name(f"{db.stem}-backup-{now.strftime('%Y%m%dT%H%M%SZ')}{db.suffix or '.db'}")


async def backup_database(url: str, dest: Path | None, now: datetime) -> BackupReport:
    """Copy the database at `url` to `dest` (default: timestamped, beside it) without blocking the loop."""
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}: nothing to back up yet")
    target = dest if dest is not None else default_backup_path(source, now)
    if target.exists():
        raise BackupError(f"{target} already exists; name another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed when complete, so an interrupted backup never
    # leaves a half file under the name asked for.
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        counts = await _copy(source, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return BackupReport(target, target.stat().st_size, counts)


async def _copy(source: Path, partial: Path) -> tuple[tuple[str, int], ...]:
    async with (
        aiosqlite.connect(source, timeout=BUSY_TIMEOUT_MS / 1000) as src,
        aiosqlite.connect(partial) as dst,
    ):
        # One step (pages=-1): the copy is one read snapshot; in WAL mode writers go on meanwhile.
        await src.backup(dst, pages=-1)
        # A backup should be one self-contained file, without -wal/-shm companions.
        await dst.execute("PRAGMA journal_mode=DELETE")
        async with dst.execute("PRAGMA quick_check") as cursor:
            (check,) = await cursor.fetchone()
        if check != "ok":
            raise BackupError(f"the copy failed SQLite's check ({check}); the database may be damaged")
        return await _row_counts(dst)


async def _row_counts(conn: aiosqlite.Connection) -> tuple[tuple[str, int], ...]:
    sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    async with conn.execute(sql) as cursor:
        names = [name for (name,) in await cursor.fetchall()]
    counts = []
    for name in names:
        # Names come from sqlite_master of the copy itself, quoted as identifiers.
        quoted = name.replace('"', '""')
        async with conn.execute(f'SELECT count(*) FROM "{quoted}"') as cursor:
            counts.append((name, (await cursor.fetchone())[0]))
    return tuple(counts)
