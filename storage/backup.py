"""A consistent copy of the SQLite database while the app runs, through SQLite's online backup API."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
    return await asyncio.to_thread(_copy, source, target)


def _copy(source: Path, target: Path) -> BackupReport:
    # Runs in a worker thread. The copy is written under a temporary name and renamed when
    # complete, so an interrupted backup never leaves a half file under the name asked for.
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(partial)
        try:
            # One step (pages=-1): the copy is one read snapshot; in WAL mode writers go on meanwhile.
            src.backup(dst, pages=-1)
            # A backup should be one self-contained file, without -wal/-shm companions.
            dst.execute("PRAGMA journal_mode=DELETE")
            (check,) = dst.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"the copy failed SQLite's check ({check}); the database may be damaged")
            counts = _row_counts(dst)
        finally:
            dst.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(partial, target)
    return BackupReport(target, target.stat().st_size, counts)


def _row_counts(conn: sqlite3.Connection) -> tuple[tuple[str, int], ...]:
    names = [
        name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    # Names come from sqlite_master of the copy itself, quoted as identifiers.
    return tuple(
        (name, conn.execute(f'SELECT count(*) FROM "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0])
        for name in names
    )
