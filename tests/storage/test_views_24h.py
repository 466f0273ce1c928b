"""Each post keeps its views at about a day old (ERR24's input), recomputed from its snapshots."""

from datetime import timedelta

from sqlalchemy import select

from storage.channels import ChannelRepo
from storage.db import read, write
from storage.migrate import downgrade, migrate
from storage.models import CounterSnapshot, Post
from storage.posts import PostRepo
from storage.runs import RunRepo
from storage.tables import posts

H = timedelta(hours=1)


async def _post_with_snapshots(
    engine, now, ages_views: list[tuple[float, int | None]]
) -> tuple[int, int]:
    """A post published at `now`, with one snapshot per (age in hours, views), in the order given;
    returns the channel id and the last run's id."""
    async with write(engine) as conn:
        channel, _ = await ChannelRepo(conn).add("@day", "day", None, now)
        await PostRepo(conn).upsert(Post(channel.id, 1, now), now)
        for age, views in ages_views:
            run = await RunRepo(conn).start(channel.id, now + age * H)
            await PostRepo(conn).add_snapshot(CounterSnapshot(channel.id, 1, run, now + age * H, views=views))
    return channel.id, run


async def _views_24h(engine) -> int | None:
    async with read(engine) as conn:
        return (await conn.execute(select(posts.c.views_24h))).scalar_one()


async def test_the_snapshot_nearest_a_day_old_wins_whatever_the_order_written(engine, now) -> None:
    await _post_with_snapshots(engine, now, [(1, 10), (30, 300), (47, 470), (22, 220), (49, 490)])
    assert await _views_24h(engine) == 220


async def test_no_snapshot_between_20_and_48_hours_leaves_it_unknown(engine, now) -> None:
    await _post_with_snapshots(engine, now, [(19.9, 199), (48.1, 481), (25, None)])
    assert await _views_24h(engine) is None


async def test_a_snapshot_rewritten_in_its_run_replaces_the_one_counted(engine, now) -> None:
    channel_id, run = await _post_with_snapshots(engine, now, [(24, 240)])
    async with write(engine) as conn:
        # The same run writes the post's counters again, later and out of the 20-48 h range.
        await PostRepo(conn).add_snapshot(CounterSnapshot(channel_id, 1, run, now + 50 * H, views=500))
    assert await _views_24h(engine) is None


async def test_upgrading_an_older_database_fills_it_from_stored_snapshots(engine, now) -> None:
    await _post_with_snapshots(engine, now, [(21, 210), (26, 260)])
    await downgrade(engine, "0003_digest_exclude")
    await migrate(engine)
    assert await _views_24h(engine) == 260

