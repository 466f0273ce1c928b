"""Migration 0017: procrastinate's queue lives in the PostgreSQL database beside our tables."""

from sqlalchemy import inspect

from storage.db import read
from storage.migrate import downgrade, migrate


async def _tables(engine) -> set[str]:
    async with read(engine) as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_the_queue_tables_come_on_postgresql_only_and_go_with_the_downgrade(engine, db_backend) -> None:
    queue = {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events"}
    if db_backend == "sqlite":
        assert not queue & await _tables(engine)
        return
    assert queue <= await _tables(engine)
    await downgrade(engine, "0016_channel_accounts")
    assert not {t for t in await _tables(engine) if t.startswith("procrastinate")}
    await migrate(engine)
    assert queue <= await _tables(engine)
