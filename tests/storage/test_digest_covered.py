"""Migration 0008: subscriptions sent before it go on from their last slot, not from scratch."""

from datetime import UTC, datetime

from storage.db import read, write
from storage.digests import DigestRepo
from storage.migrate import downgrade, migrate


async def test_an_existing_subscription_covers_up_to_its_last_slot_after_the_upgrade(engine) -> None:
    await downgrade(engine, "0007_digest_parts")
    slot = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO digest_subscriptions (chat_id, cadence, at_time, timezone, channel_ids,"
            " last_slot_sent, created_at) VALUES (7, 'daily', '09:00', 'UTC', '[]',"
            " '2026-03-03 08:00:00.000000', '2026-03-01 00:00:00.000000')"
        )
    await migrate(engine)
    async with read(engine) as conn:
        (sub,) = await DigestRepo(conn).list(7)
    assert sub.last_slot_sent == slot and sub.covered_until == slot
    async with write(engine) as conn:  # a skipped slot moves the last slot, not the period
        await DigestRepo(conn).set_last_slot(sub.id, datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    async with read(engine) as conn:
        assert (await DigestRepo(conn).get(sub.id)).covered_until == slot
