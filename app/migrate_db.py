"""`python main.py migrate-db postgresql://…`: move everything from the SQLite database to an empty
PostgreSQL one, check the row counts, and say what to change in `.env`."""

from __future__ import annotations

import sys
from typing import IO

from app.database import CannotOpenDatabase, open_or_explain
from settings import Settings, normalize_database_url, shown_url, url_password
from storage.copy import CopyError, copy_database


def target_problem(source: str, target: str) -> str | None:
    """Why `target` cannot receive the copy of `source`, in one line; None when it can."""
    if not target.startswith("postgresql+asyncpg://"):
        return "migrate-db copies into PostgreSQL: give a postgresql://user:password@host/db URL"
    if not source.startswith("sqlite+aiosqlite://"):
        return f"DATABASE_URL is already {shown_url(source)}: migrate-db copies from SQLite"
    return None


async def migrate_db_command(settings: Settings, target_url: str, out: IO[str] | None = None) -> int:
    out = out if out is not None else sys.stdout
    source_url, target_url = settings.database_url, normalize_database_url(target_url)
    if problem := target_problem(source_url, target_url):
        print(f"migrate-db: {problem}", file=sys.stderr)
        return 2
    source = target = None
    try:
        source = await open_or_explain(source_url)
        target = await open_or_explain(target_url)
        print(f"copying {shown_url(source_url)} into {shown_url(target_url)} …", file=out)
        report = await copy_database(source, target)
    except (CannotOpenDatabase, CopyError) as exc:
        print(f"migrate-db: {exc}", file=sys.stderr)
        return 1
    finally:
        for engine in (source, target):
            if engine is not None:
                await engine.dispose()
    width = max(len(name) for name, _ in report.row_counts)
    for name, rows in report.row_counts:
        print(f"  {name:<{width}}  {rows:>12,} rows (the same in both)", file=out)
    password = " (with its password)" if url_password(target_url) else ""
    print(
        f"done. Set DATABASE_URL={shown_url(target_url)} in .env{password}, then start ChannelPulse "
        f"again. {shown_url(source_url)} is left as it was.",
        file=out,
    )
    return 0
