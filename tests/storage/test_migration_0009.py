"""0007: failures get a kind, and backfills that stopped at the cutoff without asking are re-opened."""

from datetime import datetime

from storage.channels import ChannelRepo
from storage.db import read
from storage.migrate import downgrade, migrate


async def test_unconfirmed_backfills_are_reopened_once(engine, now: datetime) -> None:
    await downgrade(engine, "0008_digest_covered")
    async with engine.begin() as conn:
        for i, (done, complete) in enumerate([("true", "false"), ("true", "true"), ("false", "false")], 1):
            await conn.exec_driver_sql(
                "INSERT INTO channels (id, ref, username, status, added_at, backfill_done, history_complete) "
                f"VALUES ({i}, '@c{i}', 'c{i}', 'active', '2026-03-01 00:00:00', {done}, {complete})"
            )
    await migrate(engine)
    async with read(engine) as conn:
        channels = await ChannelRepo(conn).list_all()
    rows = [(c.backfill_done, c.history_complete, c.status_kind) for c in channels]
    # Stopped at the cutoff without knowing: asked once more. Known complete, or still going: left.
    assert rows == [(False, False, None), (True, True, None), (False, False, None)]
