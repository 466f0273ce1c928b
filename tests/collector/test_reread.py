"""Counters of busy channels keep moving: every post younger than 72 h is re-read each run, in
requests of ≤ 100 ids through the request gate, most needed first, at most five per run."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary
from analytics.windows import parse_window
from clock import VirtualClock
from collector.reread import REREAD_BATCH, plan_reread
from sandbox import telegram as sb
from sandbox.collector import sandbox_collector
from storage.db import read
from storage.posts import PostRepo
from tests.collector.helpers import RecordingNotifier, fetched_per_run, message_gaps

H = timedelta(hours=1)
NOW = datetime(2026, 3, 2, 12, tzinfo=sb.EPOCH.tzinfo)


def _posts(every: timedelta, span: timedelta) -> list[tuple[int, datetime, datetime]]:
    """A post every `every` over `span`, newest first, each last read an hour ago."""
    n = int(span / every)
    return [(n - i, NOW - i * every, NOW - H) for i in range(n)]


def test_a_busy_channel_has_every_post_of_72_hours_reread_in_requests_of_100() -> None:
    posts = _posts(timedelta(minutes=10), timedelta(days=7))  # 144 a day
    batches = plan_reread(posts, NOW, skip=set())
    assert [len(b) for b in batches] == [100, 100, 100, 100, 100]
    chosen = {i for b in batches for i in b}
    fresh = {i for i, date, _ in posts if NOW - date <= timedelta(hours=72)}
    assert fresh <= chosen  # 432 posts; the 68 spare ids go to older posts
    # The first request is the ERR24 band (20-48 h), nearest 24 h first.
    ages = [(NOW - dict((i, d) for i, d, _ in posts)[m]) / H for m in batches[0]]
    assert ages[0] == 24 and all(20 <= a <= 48 for a in ages)


def test_a_huge_channel_is_capped_and_the_band_comes_first() -> None:
    posts = _posts(timedelta(minutes=2), timedelta(days=3))  # 720 a day, 2,160 in 72 h
    batches = plan_reread(posts, NOW, skip=set())
    assert len(batches) == 5 and all(len(b) == REREAD_BATCH for b in batches)
    band = {i for i, d, _ in posts if 20 * H <= NOW - d <= 48 * H}
    chosen = [i for b in batches for i in b]
    assert set(chosen) <= band  # 840 band posts: the cap of 500 is spent on them alone


def test_a_quiet_channel_takes_one_request_and_older_posts_take_turns() -> None:
    posts = _posts(timedelta(hours=2), timedelta(days=7))  # 84 posts
    (batch,) = plan_reread(posts, NOW, skip={84})
    assert 84 not in batch and len(batch) == 83
    busy = _posts(timedelta(minutes=45), timedelta(days=7))  # 224 posts, 96 in 72 h
    stale = {i: NOW - 30 * H for i, d, _ in busy if NOW - d > timedelta(hours=100)}
    busy = [(i, d, stale.get(i, r)) for i, d, r in busy]
    (batch,) = plan_reread(busy, NOW, skip=set())
    spare = [i for i in batch if NOW - dict((j, d) for j, d, _ in busy)[i] > timedelta(hours=72)]
    # 97 posts of the last 72 h, and 3 spare ids for the least recently read older ones.
    assert len(batch) == REREAD_BATCH and len(spare) == 3 and set(spare) <= set(stale)


@pytest.fixture
def busy_channel(monkeypatch: pytest.MonkeyPatch) -> str:
    spec = sb._Spec("busy_news", "Busy News", 1_900_000_011, 10, 5, 100_000, 10.0)
    monkeypatch.setitem(sb.SPECS, spec.username, spec)
    return spec.username


async def test_a_busy_channel_keeps_fresh_counters_each_request_through_the_gate(
    engine: AsyncEngine, busy_channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = VirtualClock(sb.EPOCH + 3 * 24 * H)
    collector, source = sandbox_collector(engine, clock, notifier=RecordingNotifier(), rng=random.Random(1))
    collector.wake_hook = lambda: None
    await collector.enqueue([f"@{busy_channel}"], added_by=1)
    await collector.drain()
    for _ in range(10):  # hourly; the backfill stores the last 72 h meanwhile
        clock.advance(3600)
        await collector.drain()
    clock.advance(3600)
    source.requests.clear()
    clock.sleeps.clear()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="collector"):
        await collector.drain()
    kinds = [k for k, _ in source.requests]
    assert kinds == ["history", "history", *["messages"] * 5, "info"]
    starts = [t for _, t in source.requests]
    assert all((b - a).total_seconds() >= 1.0 for a, b in pairwise(starts))
    # The gate before the backfill page, 6 new and 44 older posts under the report's layered
    # delays, then the gate before each further request.
    (*_, run) = await fetched_per_run(engine)
    assert clock.sleeps == [1.0, *message_gaps(run), *[1.0] * 5]
    # ...and each is in the log where `grep "Rate limiting"` finds it.
    gates = [r.getMessage() for r in caplog.records if "Rate limiting: request_gap" in r.getMessage()]
    assert sum("before GetMessages" in g for g in gates) == 4 and "before GetFullChannel" in gates[-1]
    now = clock.now()
    async with read(engine) as conn:
        posts = [p for p in await PostRepo(conn).list(1) if not p.deleted]
    day_three = [p for p in posts if 48 * H < now - p.date <= 72 * H]
    assert len(day_three) > 100
    # Read in this run; before, each was last read when it left the newest 100 (at ~17 h).
    assert all(now - p.updated_at < H for p in day_three)
    summary = await channel_summary(engine, 1, parse_window("7d"), now, "UTC")
    assert summary.current.err24 is not None and summary.current.err24_posts > 150
