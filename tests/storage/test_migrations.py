from pathlib import Path

import pytest
from sqlalchemy import inspect

from storage.db import create_engine, read
from storage.migrate import (
    SchemaTooNewError,
    current_revision,
    downgrade,
    head_revision,
    migrate,
    open_database,
)
from storage.tables import metadata


async def _tables(engine) -> set[str]:
    async with read(engine) as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_empty_database_migrates_to_head_with_every_table(
    empty_db_url: str, db_backend: str, tmp_path: Path
) -> None:
    engine = await open_database(empty_db_url)
    try:
        assert db_backend != "sqlite" or (tmp_path / "pulse.db").exists()
        assert await current_revision(engine) == head_revision()
        assert set(metadata.tables) <= await _tables(engine)
    finally:
        await engine.dispose()


async def test_one_step_down_and_up_again(engine) -> None:
    await downgrade(engine, "-1")
    assert await current_revision(engine) != head_revision()
    await migrate(engine)
    assert await current_revision(engine) == head_revision()
    assert set(metadata.tables) <= await _tables(engine)


async def test_migrating_twice_is_harmless(engine) -> None:
    await migrate(engine)
    assert await current_revision(engine) == head_revision()


async def test_database_newer_than_code_is_refused_with_a_clear_message(engine, db_url: str) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'fffffff_future'")
    other = create_engine(db_url)
    try:
        with pytest.raises(SchemaTooNewError, match="newer than this ChannelPulse knows"):
            await migrate(other)
    finally:
        await other.dispose()


@pytest.mark.sqlite_only("PRAGMAs are SQLite's connection settings; PostgreSQL has none of them")
async def test_pragmas_are_set_on_every_connection(engine) -> None:
    async with read(engine) as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 5000


async def test_plain_sqlite_url_means_the_same_file(tmp_path: Path) -> None:
    from settings import normalize_database_url

    url = normalize_database_url(f"sqlite:///{tmp_path / 'same.db'}")
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'same.db'}"
    engine = await open_database(url)
    await engine.dispose()
    assert (tmp_path / "same.db").exists()
