"""`migrate-db`: everything in the SQLite database reaches an empty PostgreSQL one, row for row, and
the app goes on there; a target that is not empty, or a row PostgreSQL refuses, leaves it as it was."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary
from analytics.windows import parse_window
from settings import shown_url
from storage.channels import ChannelRepo
from storage.copy import CopyError, copied_tables, copy_database
from storage.db import read, write
from storage.migrate import open_database
from storage.models import Post
from storage.posts import PostRepo
from storage.tables import heartbeats
from tests.analytics.conftest import seed_pulse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The source: always SQLite, the database migrate-db moves from."""
    engine = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'pulse.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture
async def target(postgres_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await open_database(postgres_db_url)
    yield engine
    await engine.dispose()


async def _rows(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every copied table's rows, in primary-key order."""
    out = {}
    async with read(engine) as conn:
        for table in copied_tables():
            result = await conn.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [dict(row) for row in result.mappings()]
    return out


async def test_every_row_arrives_and_the_figures_and_ids_go_on(
    engine: AsyncEngine, target: AsyncEngine, now: datetime
) -> None:
    cid = await seed_pulse(engine)
    report = await copy_database(engine, target)
    source_rows, target_rows = await _rows(engine), await _rows(target)
    assert target_rows == source_rows
    assert dict(report.row_counts) == {name: len(rows) for name, rows in source_rows.items()}
    assert dict(report.row_counts)["posts"] == 13
    for window in ("24h", "7d", "30d", "all"):
        assert await channel_summary(target, cid, parse_window(window), now, "Europe/Berlin") == \
            await channel_summary(engine, cid, parse_window(window), now, "Europe/Berlin")
    # The id sequences go on after the copied rows: a new channel does not collide with one.
    async with write(target) as conn:
        channel, created = await ChannelRepo(conn).add("@next", "next", None, now)
    assert created and channel.id == cid + 1


async def test_a_target_that_holds_rows_is_refused_and_left_alone(
    engine: AsyncEngine, target: AsyncEngine, now: datetime
) -> None:
    await seed_pulse(engine)
    async with write(target) as conn:
        await ChannelRepo(conn).add("@mine", "mine", None, now)
    before = await _rows(target)
    with pytest.raises(CopyError, match=r"^the target database is not empty \(channels already hold rows\)"):
        await copy_database(engine, target)
    assert await _rows(target) == before


async def test_a_row_postgresql_refuses_leaves_the_target_empty(
    engine: AsyncEngine, target: AsyncEngine
) -> None:
    """SQLite keeps a value longer than its column, PostgreSQL refuses it: the copy stops, names the
    table, and keeps nothing, so it can be run again once the row is mended."""
    cid = await seed_pulse(engine)
    async with write(engine) as conn:
        await conn.execute(text("UPDATE channels SET status = :s WHERE id = :id"),
                           {"s": "x" * 40, "id": cid})
    with pytest.raises(CopyError, match=r"^channels: PostgreSQL refused a row"):
        await copy_database(engine, target)
    assert all(rows == [] for rows in (await _rows(target)).values())


async def test_a_nul_character_an_older_version_stored_is_left_behind(
    engine: AsyncEngine, target: AsyncEngine, now: datetime
) -> None:
    """PostgreSQL's text cannot hold a NUL character; a post stored with one before they were
    dropped on the way in is copied without it."""
    cid = await seed_pulse(engine)
    async with write(engine) as conn:
        await PostRepo(conn).upsert(Post(cid, 99, now, text="placeholder", views=1), now)
        await conn.execute(text("UPDATE posts SET text = :t WHERE message_id = 99"), {"t": "before\x00after"})
    await copy_database(engine, target)
    async with read(target) as conn:
        assert (await PostRepo(conn).get(cid, 99)).text == "beforeafter"


async def test_the_process_heartbeat_is_not_copied(engine: AsyncEngine, target: AsyncEngine) -> None:
    async with write(engine) as conn:
        await conn.execute(heartbeats.insert().values(
            component="scheduler", pid=42, beat_at=datetime(2026, 3, 2, tzinfo=UTC), stale_after_seconds=120))
    await copy_database(engine, target)
    async with read(target) as conn:
        assert (await conn.execute(text("SELECT count(*) FROM heartbeats"))).scalar_one() == 0


def _main(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, capture_output=True, text=True,
        timeout=300, env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_migrate_db_through_main_py_then_the_app_runs_on_postgresql(
    tmp_path: Path, postgres_db_url: str
) -> None:
    """As a user moves up: data in SQLite, migrate-db, set DATABASE_URL, go on collecting. (The
    SQLite data is written directly: how much one sandbox run stores depends on the machine's speed,
    as a slow run may be cut off and go on next round.)"""

    async def seed() -> None:
        engine = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'pulse.db'}")
        try:
            await seed_pulse(engine)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    plain = postgres_db_url.replace("postgresql+asyncpg://", "postgresql://")
    moved = _main(tmp_path, "migrate-db", plain)
    assert moved.returncode == 0, moved.stderr
    lines = moved.stdout.splitlines()
    assert any(line.split()[:2] == ["posts", "13"] for line in lines), lines
    assert lines[-1].startswith(f"done. Set DATABASE_URL={shown_url(postgres_db_url)} in .env")
    on_pg = {"DATABASE_URL": plain}
    assert _posts(_main(tmp_path, "status", "--json", env=on_pg)) == {"pulse": 13}
    # The app goes on there: a new channel gets the next id, runs are recorded, nothing is lost.
    again = _main(tmp_path, "collect", "--sandbox", "--once", "@pulse_tech", env=on_pg)
    assert again.returncode == 0, again.stderr
    posts = _posts(_main(tmp_path, "status", "--json", env=on_pg))
    assert posts["pulse"] == 13 and "pulse_tech" in posts


def _posts(status: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """Posts stored per channel, from `status --json`."""
    assert status.returncode == 0, status.stderr
    return {c["username"]: c["posts"] for c in json.loads(status.stdout)["channels"]}


def test_migrate_db_refuses_a_target_that_is_not_postgresql(tmp_path: Path) -> None:
    proc = _main(tmp_path, "migrate-db", "sqlite:///elsewhere.db")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "migrate-db: migrate-db copies into PostgreSQL: give a postgresql://user:password@host/db URL"
    ]
