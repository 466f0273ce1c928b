"""The real clock is what waits: scaled-down delays (through the override) take real time."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import RealClock, ScaledClock
from collector.pacing import PacingConfig
from sandbox.collector import sandbox_collector
from settings import load_settings
from storage.db import read
from storage.runs import RunRepo
from tests.collector.helpers import RecordingNotifier


async def test_scaled_delays_really_wait_on_the_real_clock(engine: AsyncEngine) -> None:
    settings = load_settings(
        None, mtproto_unsafe_override=True, mtproto_message_delay=0.01, mtproto_batch_pause=0.06,
        mtproto_extended_pause=0.2, mtproto_channel_delay=0.16, mtproto_request_gap=0.02,
    )
    pacing = PacingConfig.from_settings(settings)
    clock = RealClock()
    collector, _ = sandbox_collector(engine, clock, pacing, RecordingNotifier())
    collector.wake_hook = lambda: None
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    started = time.monotonic()
    await collector.drain()
    elapsed = time.monotonic() - started
    async with read(engine) as conn:
        runs = await RunRepo(conn).recent()
    assert all(r.fetched >= 45 for r in runs)
    policy = sum(pacing.channel_seconds(r.fetched) + pacing.request_gap for r in runs) + pacing.channel_delay
    assert pacing.channel_seconds(50) == pytest.approx(0.01 * 49 + 0.06 * 9 + 0.2 * 2)
    assert elapsed >= policy
    assert (runs[0].started_at - runs[1].finished_at).total_seconds() >= 0.16


async def test_scaled_clock_sleeps_a_fraction_but_counts_the_whole(
    now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ScaledClock(0.01, now)
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
        await real_sleep(seconds)

    # What it asks the event loop for, not how long that took: a loaded machine sleeps longer.
    monkeypatch.setattr(asyncio, "sleep", sleep)
    started = time.monotonic()
    await clock.sleep(10)
    real = time.monotonic() - started
    monkeypatch.undo()
    assert asked == [pytest.approx(0.1)]
    assert real >= 0.1
    assert clock.monotonic() >= 10
    assert (clock.now() - now).total_seconds() >= 10
