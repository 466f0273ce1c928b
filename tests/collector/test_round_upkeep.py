"""After each collection round the collector thins aged snapshots and says it is alive."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.service import Collector
from sandbox.collector import sandbox_collector
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.tables import counter_snapshots, posts
from tests.analytics.conftest import P, add_channel, add_posts, add_snapshot
from tests.collector.helpers import RecordingNotifier

H = timedelta(hours=1)


async def _snapshots(engine: AsyncEngine, message_id: int) -> int:
    async with read(engine) as conn:
        stmt = select(func.count()).select_from(counter_snapshots).where(
            counter_snapshots.c.message_id == message_id)
        return (await conn.execute(stmt)).scalar_one()


async def test_a_round_thins_posts_past_the_kept_age_and_beats(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "old", now)
    async with write(engine) as conn:  # not due: the round collects nothing, only its upkeep runs
        await ChannelRepo(conn).update(cid, next_collection_at=now + 24 * H)
    old, young = now - timedelta(days=40), now - timedelta(days=20)
    await add_posts(engine, cid, (P(1, f"{old:%Y-%m-%d %H:%M}", 500), P(2, f"{young:%Y-%m-%d %H:%M}", 500)))
    for mid, date in ((1, old), (2, young)):
        for h in range(1, 73):
            await add_snapshot(engine, cid, mid, date + h * H, 10 * h)
    clock = VirtualClock(now)
    made, _ = sandbox_collector(engine, clock)
    beats: list[datetime] = []
    collector = Collector(engine, made.source, made.gate, clock, RecordingNotifier(),
                          alive=lambda: beats.append(clock.now()))

    await collector.drain()

    # 24 h, 48 h and the week's newest (72 h, also the nearest to 7 d and 30 d) stay.
    assert await _snapshots(engine, 1) == 3
    assert await _snapshots(engine, 2) == 72  # younger than the kept age: untouched
    async with read(engine) as conn:
        thinned = dict((await conn.execute(select(posts.c.message_id, posts.c.thinned_at))).all())
    assert thinned == {1: now, 2: None}
    assert len(beats) >= 2  # the round began and ended
