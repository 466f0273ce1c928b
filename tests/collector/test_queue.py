"""The durable queue: drains, wakes, FloodWaits, resolving once, cancellation, failures."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.pacing import PacingConfig
from sandbox.telegram import PRIVATE_CHANNEL, PUBLIC_CHANNELS
from storage.channels import ChannelRepo
from storage.db import read
from storage.posts import PostRepo
from storage.runs import RunRepo
from tests.collector.helpers import HoldingClock, build, fetched_per_run, message_gaps


async def test_channel_added_mid_run_is_drained_in_the_same_run(engine: AsyncEngine, now: datetime) -> None:
    clock = HoldingClock(now, hold_at=10)
    collector, _source, _ = build(engine, clock, manual=False)
    await collector.enqueue(["@pulse_news"], added_by=1)  # wakes the idle collector: one drain
    (drain,) = collector._tasks
    await clock.held.wait()
    state = collector.state()
    assert state.collecting and state.channel == "pulse_news" and state.message_index == 9
    assert state.wait_layer == "message" and state.queue_length == 1
    await collector.enqueue(["@pulse_tech"], added_by=1)  # wakes: absorbed by the running drain
    assert collector._tasks == {drain}  # no second collection was started
    clock.release()
    await drain
    async with read(engine) as conn:
        runs = sorted(await RunRepo(conn).recent(), key=lambda r: r.id)
    assert [r.channel_id for r in runs] == [1, 2]
    assert runs[1].started_at >= runs[0].finished_at  # never concurrently
    first, second = await fetched_per_run(engine)
    assert clock.sleeps == [1.0, *message_gaps(first), 8.0, 1.0, *message_gaps(second)]
    assert not collector.state().collecting


async def test_wake_while_idle_starts_a_drain(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, _source, notifier = build(engine, clock, manual=False)
    outcomes = await collector.enqueue(["@pulse_tech", "t.me/+AbCdEf", "@pulse_tech"], added_by=5)
    assert [o.kind for o in outcomes] == ["queued", "refused", "already"]
    assert "private invite link" in (outcomes[1].reason or "")
    (task,) = collector._tasks
    await task
    (stored,) = await fetched_per_run(engine)
    assert stored >= 45 and ("first", "pulse_tech", stored) in notifier.events
    assert [e[0] for e in notifier.events] == ["first", "collected"]


async def test_a_30s_flood_wait_pauses_everything_and_retries_once(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    source.inject_flood_wait("history", 30)
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    await collector.drain()
    kinds = [k for k, _ in source.requests]
    assert kinds[:4] == ["resolve", "history", "history", "info"]
    first, retry = source.requests[1][1], source.requests[2][1]
    assert 30 <= (retry - first).total_seconds() <= 31  # obeyed to the second, plus a small jitter
    async with read(engine) as conn:
        runs = sorted(await RunRepo(conn).recent(), key=lambda r: r.id)
    n = runs[0].fetched
    assert 30 <= clock.sleeps[1] <= 31 and clock.sleeps[2:n + 1] == pytest.approx(message_gaps(n))
    assert runs[0].flood_waits == 1 and runs[0].flood_wait_seconds == 30  # the seconds Telegram asked
    assert runs[0].fetched >= 45 and runs[1].fetched >= 45
    assert collector.state().flood_waits_today == 1


async def test_a_flood_wait_beyond_the_maximum_postpones_and_notifies(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, source, notifier = build(engine, clock, PacingConfig(max_flood_wait=600))
    source.inject_flood_wait("resolve", 7200)
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    await collector.drain()
    assert ("postponed", "pulse_news", 7200.0) in notifier.events
    assert [k for k, _ in source.requests] == ["resolve"]  # no request at all during the flood
    assert max(clock.sleeps, default=0) < 600
    # a restart during the flood asks Telegram nothing either: the block is stored
    restarted, fresh_source, _ = build(engine, clock, PacingConfig(max_flood_wait=600))
    clock.advance(60)
    await restarted.drain()
    assert fresh_source.requests == []
    clock.advance(7300)
    await collector.drain()
    async with read(engine) as conn:
        channels = await ChannelRepo(conn).list_all()
    assert {c.status for c in channels} == {"active"}


async def test_one_resolve_per_channel_across_many_runs(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue([f"@{u}" for u in PUBLIC_CHANNELS], added_by=1)
    for _ in range(5):
        await collector.drain()
        clock.advance(3600)
    kinds = [k for k, _ in source.requests]
    assert kinds.count("resolve") == 3
    assert kinds.count("history") >= 15
    async with read(engine) as conn:
        channels = await ChannelRepo(conn).list_all()
    assert [c.resolve_count for c in channels] == [1, 1, 1]
    assert all(c.resolved_by == 777000123 for c in channels)


async def test_cancel_mid_run_then_rerun_stores_each_post_once(engine: AsyncEngine, now: datetime) -> None:
    clock = HoldingClock(now, hold_at=21)
    collector, source, _ = build(engine, clock, manual=False)
    await collector.enqueue(["@pulse_news"], added_by=1)
    (task,) = collector._tasks
    await clock.held.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with read(engine) as conn:
        partial = len(await PostRepo(conn).list(1))
    assert partial == 20
    await collector.drain()
    async with read(engine) as conn:
        posts = await PostRepo(conn).list(1)
        runs = await RunRepo(conn).recent()
    expected = {p.message_id for p in await source.get_history(_key(source), 50)}
    stored = [p.message_id for p in posts]
    assert expected <= set(stored)  # nothing skipped
    assert sum(r.new for r in runs) == len(stored) == runs[0].fetched + partial  # each stored once
    assert runs[1].error and "cancelled" in runs[1].error
    assert runs[0].new == runs[0].fetched >= 45  # the missing ones, then older ones (backfill)


async def test_a_stop_as_the_channel_is_marked_collected_leaves_its_run_record_finished(
    engine: AsyncEngine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A SIGTERM that lands once the history is read, while the channel is being marked collected:
    # the run's record still says what was fetched and why it ended, and the channel stays due.
    collector, _, _ = build(engine, VirtualClock(now))
    await collector.enqueue(["@pulse_news"], added_by=1)
    update = ChannelRepo.update

    async def stopped_while_marking(self: ChannelRepo, channel_id: int, **values: object) -> None:
        if "last_collected_at" in values:
            raise asyncio.CancelledError
        await update(self, channel_id, **values)

    monkeypatch.setattr(ChannelRepo, "update", stopped_while_marking)
    with pytest.raises(asyncio.CancelledError):
        await collector.drain()
    async with read(engine) as conn:
        (run,) = await RunRepo(conn).recent()
        channel = await ChannelRepo(conn).get(1)
    assert run.finished_at is not None and run.error and "cancelled" in run.error
    assert run.fetched >= 45
    assert channel is not None and channel.last_collected_at is None


def _key(source: object):  # type: ignore[no-untyped-def]
    from collector.source import ChannelKey
    from sandbox.telegram import SPECS

    spec = SPECS["pulse_news"]
    return ChannelKey(spec.tg_id, source._hash(spec))  # type: ignore[attr-defined]


async def test_private_and_missing_channels_fail_with_a_reason_and_others_go_on(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, _, notifier = build(engine, clock)
    await collector.enqueue([f"@{PRIVATE_CHANNEL}", "@nosuchchannel", "@pulse_person", "@pulse_tech"], 1)
    await collector.drain()
    async with read(engine) as conn:
        by_name = {c.username: c for c in await ChannelRepo(conn).list_all()}
    assert by_name[PRIVATE_CHANNEL].status == "failed"
    assert "private" in (by_name[PRIVATE_CHANNEL].status_reason or "")
    assert "not taken" in (by_name["nosuchchannel"].status_reason or "")
    assert "not a channel" in (by_name["pulse_person"].status_reason or "")
    assert by_name["pulse_tech"].status == "active"
    assert sum(1 for e in notifier.events if e[0] == "failed") == 3


async def test_pause_resume_and_remove(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, _source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    await collector.pause(1)
    await collector.drain()
    async with read(engine) as conn:
        assert [r.channel_id for r in await RunRepo(conn).recent()] == [2]
    await collector.resume(1)
    await collector.drain()
    await collector.remove(2, keep_data=True)
    await collector.remove(1, keep_data=False)
    async with read(engine) as conn:
        channels = await ChannelRepo(conn).list_all()
        kept = await PostRepo(conn).list(2)
    assert [(c.id, c.status) for c in channels] == [(2, "paused")]
    assert len(kept) == (await fetched_per_run(engine))[0]


async def _broken_history(engine: AsyncEngine, now: datetime, error: Exception):
    """Collect pulse_news (whose history always raises `error`) and pulse_tech in one drain."""
    clock = VirtualClock(now)
    collector, source, notifier = build(engine, clock)
    real = source.get_history
    news_id = None

    async def history(channel, limit, newer_than=None, older_than=None):
        if channel.tg_id == news_id:
            raise error
        return await real(channel, limit, newer_than, older_than)

    news_id = (await source.resolve("pulse_news")).tg_id
    source.requests.clear()
    source.get_history = history
    await collector.enqueue(["@pulse_news", "@pulse_tech"], 1)
    await collector.drain()  # must not raise
    async with read(engine) as conn:
        by_name = {c.username: c for c in await ChannelRepo(conn).list_all()}
        runs = await RunRepo(conn).recent()
    return by_name, runs, notifier


async def test_an_unexpected_error_in_one_channel_does_not_starve_the_queue(
    engine: AsyncEngine, now: datetime
) -> None:
    by_name, runs, _ = await _broken_history(engine, now, RuntimeError("boom"))
    assert by_name["pulse_tech"].status == "active" and by_name["pulse_tech"].last_collected_at
    assert all(r.finished_at is not None for r in runs)
    news_run = next(r for r in runs if r.channel_id == by_name["pulse_news"].id)
    assert "boom" in news_run.error
    # it is retried in a later round, not spun on at once
    assert by_name["pulse_news"].next_collection_at > now


async def test_channel_invalid_after_resolving_again_fails_the_channel_and_others_go_on(
    engine: AsyncEngine, now: datetime
) -> None:
    from collector.source import ChannelInvalid

    by_name, runs, notifier = await _broken_history(engine, now, ChannelInvalid("CHANNEL_INVALID"))
    news = by_name["pulse_news"]
    assert news.status == "failed" and "even after resolving it again" in news.status_reason
    assert news.resolve_count == 2  # the first resolve and the one allowed after CHANNEL_INVALID
    assert by_name["pulse_tech"].status == "active"
    assert all(r.finished_at is not None for r in runs)
    assert ("failed", "pulse_news", news.status_reason) in notifier.events


async def test_a_database_busy_past_every_retry_leaves_the_channel_due_not_failing(
    engine: AsyncEngine, now: datetime
) -> None:
    from sqlalchemy.exc import OperationalError

    clock = VirtualClock(now)
    collector, source, notifier = build(engine, clock)
    real = source.get_history

    async def locked(*args: object, **kwargs: object) -> object:
        raise OperationalError("INSERT INTO account_requests", {}, Exception("database is locked"))

    source.get_history = locked  # type: ignore[method-assign]
    await collector.enqueue(["@pulse_tech"], added_by=1)
    for _ in range(5):
        await collector.drain()
        clock.advance(3600)
    source.get_history = real  # type: ignore[method-assign]
    await collector.drain()
    async with read(engine) as conn:
        (channel,) = await ChannelRepo(conn).list_all()
    assert channel.status == "active" and channel.unexpected_failures == 0
    assert not any(e[0] == "failed" for e in notifier.events)
