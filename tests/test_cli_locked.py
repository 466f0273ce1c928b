"""The database-only commands while another process holds SQLite's write lock: they answer, or say
in one line what to do; never a traceback, never SQLite's "database is locked"."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import main
from storage import db
from storage.migrate import downgrade, open_database
from tests.bot.seed import add_channel


@pytest.fixture
def database(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collected channel @pulse, and short lock waits (SQLite's busy timeout 0.2 s)."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(db, "LOCK_BACKOFF", (0.1, 0.2))
    monkeypatch.setenv("DATABASE_URL", db_url)

    async def seed() -> None:
        engine = await open_database(db_url)
        await add_channel(engine, "pulse", datetime.now(UTC), posts=3, subscribers=120)
        await engine.dispose()

    asyncio.run(seed())
    return tmp_path / "pulse.db"


@pytest.fixture
def write_lock(database: Path) -> Iterator[None]:
    """Another process (a `collect`, an sqlite3 shell) writing for as long as the test runs."""
    other = sqlite3.connect(database, isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    yield
    other.close()


def clean(err: str) -> None:
    assert "Traceback" not in err and "locked" not in err


@pytest.mark.usefixtures("write_lock")
def test_reading_commands_answer_while_another_process_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["stats", "@pulse", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["current"]["subscribers"] == 120
    assert main.main(["export", "@pulse"]) == 0
    assert capsys.readouterr().out.count("\n") == 4  # the header and three posts
    assert main.main(["status", "--json"]) == 0
    assert [c["username"] for c in json.loads(capsys.readouterr().out)["channels"]] == ["pulse"]
    assert main.main(["backup", str(tmp_path / "copy.db")]) == 0
    assert "backup written to" in capsys.readouterr().out
    clean(capsys.readouterr().err)


def test_a_migration_blocked_past_every_retry_is_one_line(
    database: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def one_step_down() -> None:
        engine = db.create_engine(db_url)
        await downgrade(engine, "-1")
        await engine.dispose()

    asyncio.run(one_step_down())  # the next command must migrate, which needs the write lock
    other = sqlite3.connect(database, isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    try:
        for command in ("stats", "status"):
            assert main.main([command]) == 1
            err = capsys.readouterr().err.strip().splitlines()
            assert err[-1] == f"{command}: {main.DATABASE_BUSY}"
            assert all("Traceback" not in line for line in err)
    finally:
        other.close()
    assert main.main(["stats", "@pulse", "--json"]) == 0  # with the other process gone, it migrates
