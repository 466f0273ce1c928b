"""The `collect` job: one instance, coalesced, with a grace time; wake() runs it at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.job import schedule_collection
from collector.service import Collector
from storage.db import read
from storage.runs import RunRepo
from tests.collector.helpers import build


async def _runs(engine: AsyncEngine) -> int:
    async with read(engine) as conn:
        return len(await RunRepo(conn).recent(limit=100))


async def _wait_idle_with(engine: AsyncEngine, collector: Collector, runs: int) -> None:
    async with asyncio.timeout(60):  # a hang guard, not a speed test
        while await _runs(engine) < runs or collector.state().collecting:  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # the state lives in the collector


async def test_one_job_and_wake_runs_it_now(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock, manual=False)
    scheduler = AsyncIOScheduler(timezone=UTC)
    schedule_collection(scheduler, collector, interval_minutes=60)
    (job,) = scheduler.get_jobs()
    assert (job.id, job.max_instances, job.coalesce) == ("collect", 1, True)
    assert job.misfire_grace_time is not None and job.misfire_grace_time >= 600
    scheduler.start()
    try:
        await asyncio.sleep(0.05)  # the first, empty round
        await collector.enqueue(["@pulse_news"], added_by=1)
        await _wait_idle_with(engine, collector, 1)
        await collector.enqueue(["@pulse_tech"], added_by=1)
        await _wait_idle_with(engine, collector, 2)
        next_run = collector.state().next_run
        assert next_run is not None and (next_run - datetime.now(UTC)).total_seconds() > 3000
    finally:
        scheduler.shutdown(wait=False)
        await collector.aclose()
    assert [k for k, _ in source.requests].count("resolve") == 2


async def test_a_block_brings_the_next_run_to_its_end_not_later(engine: AsyncEngine, now: datetime) -> None:
    """A round skipped for a FloodWait block asks for a run when the block ends, so its channels do
    not wait for the rest of the interval; a later end never pushes the next run back."""
    clock = VirtualClock(now)
    collector, _, _ = build(engine, clock, manual=False)
    scheduler = AsyncIOScheduler(timezone=UTC)
    schedule_collection(scheduler, collector, interval_minutes=60)
    (job,) = scheduler.get_jobs()
    job.modify(next_run_time=datetime.now(UTC) + timedelta(minutes=60))
    assert collector.wake_at_hook is not None
    collector.wake_at_hook(now + timedelta(minutes=10))
    left = (job.next_run_time - datetime.now(UTC)).total_seconds()
    assert 9 * 60 < left <= 10 * 60
    collector.wake_at_hook(now + timedelta(minutes=30))
    assert (job.next_run_time - datetime.now(UTC)).total_seconds() <= 10 * 60
