"""The database-only subcommands, `status` and `backup`, as async functions main.py runs."""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

from rich.console import Console

from app.database import CannotOpenDatabase, open_or_explain
from app.status import gather_status, status_json
from app.status_view import render_status
from settings import Settings
from storage.backup import BackupError, backup_database


async def status_command(
    settings: Settings, as_json: bool, now: datetime, out: IO[str] | None = None
) -> int:
    """Print the status; 0 when the database opens (the container health check relies on it)."""
    out = out if out is not None else sys.stdout
    try:
        engine = await open_or_explain(settings.database_url)
    except CannotOpenDatabase as exc:
        print(f"status: {exc}", file=sys.stderr)
        return 1
    try:
        report = await gather_status(engine, now, session=settings.telegram_session)
    finally:
        await engine.dispose()
    if as_json:
        print(json.dumps(status_json(report), ensure_ascii=False), file=out)
    else:
        # Piped output has no terminal width; rich would fold the tables at 80 columns.
        render_status(report, Console(file=out, width=None if out.isatty() else 160))
    return 0


async def backup_command(
    settings: Settings, file: str | None, now: datetime, out: IO[str] | None = None
) -> int:
    """Back the database up, then print where, its size and the rows of every table."""
    out = out if out is not None else sys.stdout
    try:
        report = await backup_database(settings.database_url, Path(file) if file else None, now)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as exc:
        print(f"backup failed: {_first_line(exc)}", file=sys.stderr)
        return 1
    print(f"backup written to {report.path} ({_size(report.size_bytes)})", file=out)
    width = max((len(name) for name, _ in report.row_counts), default=0)
    for name, rows in report.row_counts:
        print(f"  {name:<{width}}  {rows:>12,} rows", file=out)
    return 0


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
