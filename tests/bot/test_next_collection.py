"""/channels and /status tell the time collection really happens, and pauses to the second."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.render_collect import render_status
from collector.records import CollectorState
from storage.channels import ChannelRepo
from storage.db import write
from tests.bot.conftest import Harness
from tests.bot.seed import add_channel


async def test_after_a_collection_both_show_the_job_s_next_run(running: Harness) -> None:
    start = running.clock.now()  # 12:00 UTC, 13:00 in Berlin
    running.collector.next_run_hook = lambda: start + timedelta(minutes=60)  # the `collect` job
    replies = await running.ask("/add_channel @pulse_news", count=2)
    assert "First collection of Pulse News (@pulse_news) is done" in replies[1].text
    await running.collector.settled()
    channels = (await running.ask_one("/channels")).text
    # The run at 14:00 collects it again; "collected at 13:01 + 0.9 h" (13:55) was never true.
    assert "· next: 2 Mar 14:00 CET" in channels
    status = (await running.ask_one("/status")).text
    assert "Collector: idle" in status and "next collection: 2 Mar 14:00 CET" in status
    assert "next scheduled run" not in status  # one time, not two that disagree


async def test_a_channel_due_after_the_next_run_waits_for_the_one_after(running: Harness) -> None:
    now = running.clock.now()
    running.collector.next_run_hook = lambda: now + timedelta(minutes=10)
    late = await add_channel(running.engine, "late_one", now)
    await add_channel(running.engine, "resting", now, status="paused")
    async with write(running.engine) as conn:
        await ChannelRepo(conn).update(late.id, next_collection_at=now + timedelta(minutes=50))
    text = (await running.ask_one("/channels")).text
    assert "next: 2 Mar 14:10 CET" in text  # the 12:10 UTC run is too early; the 13:10 one takes it
    assert "@resting — paused" in text and "next: none" in text


def test_a_seconds_pause_shows_its_end_to_the_second(now: datetime) -> None:
    state = CollectorState(
        collecting=True, channel="pulse_news", message_index=5, message_total=50, wait_seconds=3.4,
        wait_layer="batch", wait_until=now + timedelta(seconds=3.4), queue_length=1, eta=None,
        next_run=None, flood_waits_today=0, next_collection=now + timedelta(hours=1),
    )
    text = render_status(state, "Europe/Berlin", now + timedelta(seconds=0.4))
    assert "pausing 3.4 s (batch pause), until 13:00:03 CET (3 s left)" in text
    assert "after this run, next collection: 2 Mar 14:00 CET" in text
    long_wait = CollectorState(**{**state.__dict__, "wait_seconds": 900.0, "wait_layer": "flood_wait",
                                  "wait_until": now + timedelta(seconds=900)})
    assert "until 13:15:00 CET (15 min left)" in render_status(long_wait, "Europe/Berlin", now)
