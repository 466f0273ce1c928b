"""What a user sees in stored posts: deletions marked (history kept), edits, no service messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.pacing import PacingConfig
from sandbox.telegram import EPOCH, SPECS
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.posts import PostRepo
from storage.runs import RunRepo
from storage.subscribers import SubscriberRepo
from tests.collector.helpers import HoldingClock, build


async def test_deleted_edited_and_service_messages(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now - timedelta(days=2))
    collector, source, _ = build(engine, clock)
    spec = SPECS["pulse_news"]
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()
    for _ in range(3):
        clock.advance(86400)
        await collector.drain()
    async with read(engine) as conn:
        posts = await PostRepo(conn).list(1)
        snapshots = await PostRepo(conn).snapshots(1)
        subs = await SubscriberRepo(conn).history(1)
    gone = {p.message_id for p in posts if source._gone(spec, p.message_id, clock.now())}
    assert gone, "the sandbox deletes some posts within three days"
    marked = {p.message_id for p in posts if p.deleted}
    assert marked <= gone
    # Every post of the last 72 h is re-read each run; older ones take turns in the spare room.
    fresh = {p.message_id for p in posts if clock.now() - p.date <= timedelta(hours=72)}
    assert marked & fresh == gone & fresh and gone & fresh
    deleted = next(p for p in posts if p.deleted)
    assert deleted.deleted_at is not None
    assert any(s.message_id == deleted.message_id for s in snapshots)  # its history stays
    assert not any(source._is_service(spec, p.message_id) for p in posts)
    edited = [p for p in posts if p.edit_date is not None]
    assert edited and all(p.text.endswith("(edited)") for p in edited)
    assert len(subs) == 4 and all(s.subscribers for s in subs)


async def test_counters_of_recent_posts_are_snapshotted_every_run(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    async with read(engine) as conn:
        newest = (await PostRepo(conn).list(1))[-1]
    clock.advance(3600)
    await collector.drain()
    async with read(engine) as conn:
        runs = sorted(await RunRepo(conn).recent(), key=lambda r: r.id)
        series = await PostRepo(conn).snapshots(1, newest.message_id)
    # New posts, older ones to fill the run's limit, one re-read of recent counters, the count.
    assert [k for k, _ in source.requests][3:] == ["history", "history", "messages", "info"]
    assert len(series) == 2 and series[1].views >= series[0].views  # type: ignore[operator]
    assert runs[1].updated >= runs[0].fetched - 1  # every recent post of the first run was re-read


async def test_a_rejected_access_hash_is_resolved_once_more_then_fails(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, source, notifier = build(engine, clock)
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    for _ in range(2):
        async with write(engine) as conn:
            await ChannelRepo(conn).update(1, access_hash=12345)  # as if another account resolved it
        clock.advance(3600)
        await collector.drain()
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(1)
    assert [k for k, _ in source.requests].count("resolve") == 2
    assert channel is not None and channel.status == "failed" and channel.resolve_count == 2
    assert any(e[0] == "failed" for e in notifier.events)


async def test_a_dropped_connection_is_repeated_after_a_backoff_and_a_reconnect_through_the_gate(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    source.inject_disconnect("info")
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    async with read(engine) as conn:
        (run,) = await RunRepo(conn).recent()
    assert run.error is None and run.pacing_seconds is not None and run.pacing_seconds["backoff"] == 2.0
    assert [k for k, _ in source.requests] == ["resolve", "history", "info", "help.GetConfig", "info"]
    gaps = [(b - a).total_seconds() for (_, a), (_, b) in pairwise(source.requests)]
    assert min(gaps) >= 1.0  # the reconnect and the repeat are requests like any other


async def test_a_disconnect_keeps_stored_posts_and_the_next_round_finishes(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    source.inject_disconnect("info", times=3)  # the first try and both repeats
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    async with read(engine) as conn:
        (run,) = await RunRepo(conn).recent()
        channel = await ChannelRepo(conn).get(1)
    assert run.error and "disconnected" in run.error and run.fetched >= 45
    assert [k for k, _ in source.requests].count("info") == 3  # three wire requests, no more
    assert channel is not None and channel.status == "queued"
    await collector.drain()
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(1)
        latest = (await RunRepo(conn).recent())[0]
    assert channel is not None and channel.status == "active" and latest.error is None


async def test_backfill_fills_the_window_then_stops(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock, PacingConfig(backfill_days=3))
    await collector.enqueue(["@pulse_news"], added_by=1)
    done_after = None
    for run in range(1, 6):
        await collector.drain()
        async with read(engine) as conn:
            channel = await ChannelRepo(conn).get(1)
        assert channel is not None
        if channel.backfill_done and done_after is None:
            done_after = run
        clock.advance(3600)
    assert done_after == 2
    async with read(engine) as conn:
        posts = await PostRepo(conn).list(1)
        channel = await ChannelRepo(conn).get(1)
    assert posts[0].date < now - timedelta(days=3)  # the window is covered
    assert channel is not None and not channel.history_complete  # older posts exist, unread
    ids = [p.message_id for p in posts]
    assert len(ids) == len(set(ids))
    history_requests = [k for k, _ in source.requests].count("history")
    assert history_requests == 1 + 2 + 3 * 1  # two pages while backfilling, then one per run


async def test_a_young_channel_is_read_back_to_its_first_post_and_says_so(engine: AsyncEngine) -> None:
    spec = SPECS["pulse_tech"]
    clock = VirtualClock(EPOCH - timedelta(days=spec.backlog_days - 2))  # two days after it began
    collector, _, _ = build(engine, clock)
    await collector.enqueue(["@pulse_tech"], added_by=1)
    complete = []
    for _ in range(2):
        await collector.drain()
        async with read(engine) as conn:
            channel = await ChannelRepo(conn).get(1)
        assert channel is not None
        complete.append(channel.history_complete)
        clock.advance(3600)
    # The first page reaches the channel's first message, and Telegram's answer shows it.
    assert complete == [True, True]


async def test_removing_a_channel_mid_run_stops_it_cleanly(engine: AsyncEngine, now: datetime) -> None:
    clock = HoldingClock(now, hold_at=10)
    collector, _, notifier = build(engine, clock, manual=False)
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    (drain,) = collector._tasks
    await clock.held.wait()
    await collector.remove(1, keep_data=False)
    clock.release()
    await drain
    async with read(engine) as conn:
        channels = await ChannelRepo(conn).list_all()
        runs = await RunRepo(conn).recent()
    assert [c.username for c in channels] == ["pulse_tech"]
    assert [r.channel_id for r in runs] == [2] and runs[0].fetched >= 45
    assert not any(e[1] == "pulse_news" for e in notifier.events)


async def test_a_second_name_for_a_tracked_channel_fails_instead_of_duplicating(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, _, notifier = build(engine, clock)
    await collector.enqueue(["@pulse_news", "@pulsenews"], added_by=1)
    await collector.drain()
    reason = "@pulsenews is the channel already tracked as @pulse_news"
    assert ("failed", "pulsenews", reason) in notifier.events
    async with read(engine) as conn:
        twin = await ChannelRepo(conn).get(2)
    assert twin is not None and twin.status == "failed" and twin.status_reason == reason
