"""The next collection shown is the `collect` job's run that really takes the channel."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import ScaledClock, VirtualClock
from collector.schedule import collection_time, due_again, on_clock
from storage.channels import ChannelRepo
from storage.db import read
from storage.schedule import ScheduleRepo
from tests.collector.helpers import HoldingClock, build

HOUR = timedelta(hours=1)
MIN = timedelta(minutes=1)


def test_a_channel_waits_for_the_first_run_at_or_after_its_due_time(now: datetime) -> None:
    next_run = now + 40 * MIN
    assert collection_time(now + 30 * MIN, now, next_run, HOUR) == next_run
    assert collection_time(next_run, now, next_run, HOUR) == next_run
    # Due 10 min after the next run: the one after that, not the due time itself.
    assert collection_time(now + 50 * MIN, now, next_run, HOUR) == next_run + HOUR
    assert collection_time(now + 3 * HOUR, now, next_run, HOUR) == next_run + 3 * HOUR
    # Due already (or never collected): the next run, unless a run under way takes it now.
    assert collection_time(None, now, next_run, HOUR) == next_run
    assert collection_time(now - MIN, now, next_run, HOUR, running=True) == now
    assert collection_time(now + MIN, now, next_run, HOUR, running=True) == next_run
    assert collection_time(now, now, None, HOUR) is None  # no scheduler, nothing happens by itself


def test_a_collected_channel_falls_due_just_before_the_next_run(now: datetime) -> None:
    assert due_again(now, now + HOUR, HOUR) == now + 59 * MIN
    # A run a few seconds off is still that run, never an immediate repeat.
    assert due_again(now, now + timedelta(seconds=20), HOUR) == now + timedelta(seconds=20)
    # A run that already passed (skipped while this drain went on): the one after it.
    assert due_again(now, now - 5 * MIN, HOUR) == now + 54 * MIN
    assert due_again(now, None, HOUR) == now + 54 * MIN  # `collect --once`: no run to go by
    assert due_again(now, now + 10 * MIN, 10 * MIN) == now + 9 * MIN  # at most a tenth of the interval


def test_the_scheduler_s_wall_time_is_put_on_a_fast_sandbox_clock() -> None:
    clock = ScaledClock(0.05)  # 20x faster
    real_in_an_hour = datetime.now(UTC) + HOUR
    ahead = on_clock(real_in_an_hour, clock) - clock.now()
    assert abs(ahead - 20 * HOUR) < MIN
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    assert on_clock(moment, VirtualClock(moment)) == moment


async def test_after_a_run_the_channel_shows_the_job_s_next_run_not_a_guess(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, _source, _ = build(engine, clock)
    next_run = now + 37 * MIN
    collector.next_run_hook = lambda: next_run  # the scheduler's `collect` job
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    await collector.drain()
    async with read(engine) as conn:
        channels = await ChannelRepo(conn).list_all()
        schedule = await ScheduleRepo(conn).get("collect")
    for channel in channels:
        assert channel.last_collected_at is not None
        assert channel.next_collection_at is not None and channel.next_collection_at < next_run
        assert collector.collection_time(channel) == next_run  # not last collected + 54 min
    assert collector.state().next_collection == next_run
    # Recorded for `python main.py status`, which has no scheduler to ask.
    assert schedule is not None and (schedule.next_run_at, schedule.interval) == (next_run, HOUR)
    assert schedule.pid == os.getpid() and not schedule.running


@pytest.mark.parametrize("paused", [False, True])
async def test_during_a_run_waiting_channels_are_collected_now_and_the_rest_later(
    engine: AsyncEngine, now: datetime, paused: bool
) -> None:
    clock = HoldingClock(now, hold_at=10)
    collector, _source, _ = build(engine, clock)
    collector.next_run_hook = lambda: now + HOUR
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    drain = asyncio.create_task(collector.drain())
    await clock.held.wait()
    async with read(engine) as conn:
        news, tech = await ChannelRepo(conn).list_all()
        schedule = await ScheduleRepo(conn).get("collect")
    assert schedule is not None and schedule.running
    if paused:
        await collector.pause(tech.id)
        async with read(engine) as conn:
            tech = await ChannelRepo(conn).get(tech.id)
        assert tech is not None
    assert collector.collection_time(news) == clock.now()  # being collected
    assert collector.collection_time(tech) == (None if paused else clock.now())  # next in this run
    # After this run both wait for the job's next run.
    assert collector.state().next_collection == now + HOUR
    clock.release()
    await drain


async def test_a_schedule_record_that_cannot_be_written_costs_no_collection(
    engine: AsyncEngine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    async def locked(self: ScheduleRepo, schedule: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(ScheduleRepo, "save", locked)
    clock = VirtualClock(now)
    collector, _, _ = build(engine, clock)
    collector.next_run_hook = lambda: now + HOUR
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(1)
    assert channel is not None and channel.status == "active" and channel.last_collected_at is not None
