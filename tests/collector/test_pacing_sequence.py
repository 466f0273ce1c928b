"""The exact waits the collector makes, on a virtual clock: the report's layers, the gate, the cap."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.pacing import PacingConfig
from sandbox.telegram import PUBLIC_CHANNELS
from storage.db import read
from storage.posts import PostRepo
from storage.runs import RunRepo
from tests.collector.helpers import build, message_gaps


async def test_a_first_run_waits_exactly_the_reports_layers(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()

    # The page holds 50 messages, as Telegram counts them: 3 of them are service messages (a pin,
    # a photo change), which are no posts and take no pause.
    async with read(engine) as conn:
        (run,) = await RunRepo(conn).recent()
    assert run.fetched == run.new == 47
    gaps = message_gaps(47)
    # One request gap between resolve and the history page, then the 46 message gaps; no pause
    # after the channel's last message.
    assert clock.sleeps == [1.0, *gaps]
    assert [k for k, _ in source.requests] == ["resolve", "history", "info"]
    assert run.pacing_seconds == {"message": 23.0, "batch": 27.0, "extended": 20.0, "channel": 0.0,
                                  "request_gap": 1.0, "flood_wait": 0.0, "backoff": 0.0}


async def test_three_channels_in_a_row_are_separated_by_the_channel_delay(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue([f"@{u}" for u in PUBLIC_CHANNELS], added_by=1)
    await collector.drain()

    async with read(engine) as conn:
        fetched = [r.fetched for r in sorted(await RunRepo(conn).recent(), key=lambda r: r.id)]
    assert clock.sleeps == [1.0, *message_gaps(fetched[0]), 8.0, 1.0, *message_gaps(fetched[1]), 8.0,
                            1.0, *message_gaps(fetched[2])]
    assert [k for k, _ in source.requests] == ["resolve", "history", "info"] * 3


async def test_gaps_are_measured_start_to_start(engine: AsyncEngine, now: datetime) -> None:
    """Work done on a message counts toward the wait after it: sleep until a deadline."""
    clock = VirtualClock(now)
    collector, _, _ = build(engine, clock)
    original = collector.runner._store

    async def slow_store(*args: object) -> None:
        clock.advance(0.2)  # storing takes 0.2 s of (virtual) time
        await original(*args)  # type: ignore[arg-type]

    collector.runner._store = slow_store  # type: ignore[method-assign]
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()
    assert clock.sleeps[1:] == pytest.approx([g - 0.2 for g in message_gaps(47)])


async def test_a_run_reads_at_most_the_limit_and_the_rest_next_time(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, _, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()
    async with read(engine) as conn:
        first = {p.message_id for p in await PostRepo(conn).list(1)}
    clock.advance(3 * 86400)  # 3 days at one post per 45 min: about 96 new posts
    await collector.drain()
    async with read(engine) as conn:
        second = {p.message_id for p in await PostRepo(conn).list(1)} - first
        runs = await RunRepo(conn).recent()
    assert 45 <= len(second) <= 50  # 50 messages; the service messages among them are no posts
    assert min(second) > max(first)  # the oldest new posts first, so nothing is skipped
    assert max(second) - max(first) <= 50 + 5  # the next 50 message ids (a few were deleted)
    assert runs[0].new == len(second)
    clock.advance(3600)
    await collector.drain()
    async with read(engine) as conn:
        third = {p.message_id for p in await PostRepo(conn).list(1)} - first - second
    newer = {i for i in third if i > max(second)}
    # The rest of the new posts, then the limit's remaining room goes to older posts (backfill).
    assert 45 <= len(third) <= 50 and newer and all(i < min(first) for i in third - newer)


async def test_every_pause_is_logged_with_its_layer(
    engine: AsyncEngine, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    clock = VirtualClock(now)
    collector, _, _ = build(engine, clock, PacingConfig(history_limit=25))  # > 20 posts
    caplog.set_level(logging.INFO, logger="collector")
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    await collector.drain()
    lines = [r.getMessage() for r in caplog.records if "Rate limiting" in r.getMessage()]
    assert len(lines) == len(clock.sleeps)
    assert any("extended pause 13.50 s after message 20" in line for line in lines)
    assert any("batch pause 3.50 s after message 5" in line for line in lines)
    assert any("channel pause 8.00 s" in line for line in lines)


def test_policy_total_matches_the_report() -> None:
    cfg = PacingConfig()
    assert sum(message_gaps(50)) == cfg.channel_seconds(50) == 71.5
    assert cfg.gap_after(20) == (("message", 0.5), ("batch", 3.0), ("extended", 10.0))
    assert cfg.gap_after(19) == (("message", 0.5),)
