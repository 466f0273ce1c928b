import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import main
from storage.backup import BackupError, backup_database, default_backup_path
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.migrate import current_revision, head_revision, open_database
from storage.models import Post
from storage.posts import PostRepo
from storage.tables import posts

# PostgreSQL is backed up with pg_dump; test_a_server_database_is_one_line_pointing_at_its_own_tools
# checks that `backup` says so.
SQLITE_FILE = pytest.mark.sqlite_only("copies the SQLite database file through SQLite's online backup API")


async def _post_ids(engine: AsyncEngine) -> set[int]:
    async with read(engine) as conn:
        return set((await conn.execute(select(posts.c.message_id))).scalars())


@SQLITE_FILE
async def test_a_backup_taken_while_a_writer_writes_has_every_committed_row(
    engine: AsyncEngine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    async with write(engine) as conn:
        channel, _ = await ChannelRepo(conn).add("@busy", "busy", None, now)
    committed: list[int] = []
    stop, warmed_up = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        message_id = 0
        while not stop.is_set():
            message_id += 1
            async with write(engine) as conn:
                post = Post(channel.id, message_id, now + timedelta(seconds=message_id), text="x" * 200)
                await PostRepo(conn).upsert(post, now)
            committed.append(message_id)
            if len(committed) == 200:
                warmed_up.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    await warmed_up.wait()
    before = set(committed)
    report = await backup_database(db_url, tmp_path / "copy.db", now)
    during = len(committed) - len(before)
    stop.set()
    await task

    assert during > 0, "the writer should have kept committing while the copy was taken"
    copy = await open_database(f"sqlite+aiosqlite:///{report.path}")
    try:
        assert await current_revision(copy) == head_revision()
        copied = await _post_ids(copy)
    finally:
        await copy.dispose()
    assert before <= copied <= set(committed)
    assert copied == set(range(1, len(copied) + 1)), "a consistent snapshot has no gaps"
    assert dict(report.row_counts)["posts"] == len(copied)
    assert dict(report.row_counts)["channels"] == 1
    assert report.size_bytes == _size(report.path) > 0
    assert _leftovers(tmp_path) == [], "one self-contained file, no partial or -wal companions"


def _size(path: Path) -> int:
    return path.stat().st_size


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("copy.db?*"))


def test_default_name_is_timestamped_beside_the_database(now: datetime) -> None:
    assert default_backup_path(Path("data/pulse.db"), now) == Path("data/pulse-backup-20260302T120000Z.db")


@SQLITE_FILE
async def test_an_existing_file_is_never_overwritten(
    engine: AsyncEngine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    precious = tmp_path / "precious.db"
    precious.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        await backup_database(db_url, precious, now)
    assert precious.read_text() == "keep me"


async def test_a_missing_database_says_so(tmp_path: Path, now: datetime) -> None:
    with pytest.raises(BackupError, match="no database at"):
        await backup_database(f"sqlite:///{tmp_path / 'none.db'}", None, now)


def test_cli_backup_prints_size_and_rows_per_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], now: datetime
) -> None:
    async def seed() -> None:
        engine = await open_database("sqlite+aiosqlite:///data/pulse.db")
        async with write(engine) as conn:
            await ChannelRepo(conn).add("@a", "a", None, now)
            await ChannelRepo(conn).add("@b", "b", None, now)
        await engine.dispose()

    asyncio.run(seed())
    assert main.main(["backup", "snap.db"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("backup written to snap.db (") and out[0].endswith("KiB)")
    rows = {line.split()[0]: line.split()[1] for line in out[1:]}
    assert rows["channels"] == "2" and rows["posts"] == "0"
    assert (tmp_path / "snap.db").exists()


def test_cli_backup_without_a_file_names_one_beside_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["status", "--json"]) == 0  # creates data/pulse.db
    capsys.readouterr()
    assert main.main(["backup"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    (made,) = (tmp_path / "data").glob("pulse-backup-*Z.db")
    assert first.startswith(f"backup written to data/{made.name}")


def test_a_server_database_is_one_line_pointing_at_its_own_tools(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://pulse:secret@db.example/pulse")
    assert main.main(["backup"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pg_dump" in err[0] and "secret" not in err[0]


def test_backup_is_a_listed_subcommand_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main.main(["backup", "--help"])
    assert info.value.code == 0
    assert "usage: python main.py backup [-h] [file]" in capsys.readouterr().out
