"""The one APScheduler job, `collect`, that drains the collector's queue on an interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collector.schedule import JOB_ID, clock_rate, on_clock
from collector.service import Collector

if TYPE_CHECKING:
    from collector.queued import QueuedCollector

# A run that could not start on time (a long drain, a suspended laptop) still runs when it can.
MISFIRE_GRACE_SECONDS = 3600


def schedule_collection(
    scheduler: AsyncIOScheduler, collector: Collector | QueuedCollector, interval_minutes: int,
) -> None:
    """Add the `collect` job (one instance at a time) and route `collector.wake()` through it: the
    in-process collector drains its queue there, the `bot` role's hands the due channels out."""
    job = scheduler.add_job(
        collector.drain, "interval", minutes=interval_minutes, id=JOB_ID, replace_existing=True,
        max_instances=1, coalesce=True, misfire_grace_time=MISFIRE_GRACE_SECONDS,
        next_run_time=datetime.now(UTC),
    )

    def wake_now() -> None:
        # Bringing the next run forward runs the job at once; the interval continues from there.
        job.modify(next_run_time=datetime.now(UTC))

    def wake_at(moment: datetime) -> None:
        """Run the job when `moment` (on the collector's clock) comes, if that is before its next run:
        a FloodWait block ends then, and its channels should not wait for the next interval."""
        delay = (moment - collector.clock.now()) / clock_rate(collector.clock)
        at = datetime.now(UTC) + max(delay, timedelta(0))
        current = scheduler.get_job(JOB_ID)
        if current is not None and (current.next_run_time is None or at < current.next_run_time):
            job.modify(next_run_time=at)

    def next_run() -> datetime | None:
        current = scheduler.get_job(JOB_ID)
        moment = getattr(current, "next_run_time", None) if current else None
        return on_clock(moment, collector.clock) if moment is not None else None

    # One interval for the job and for the collector's sums of when a channel is collected, on the
    # collector's clock (the sandbox's runs faster than the scheduler's wall clock).
    collector.interval = timedelta(minutes=interval_minutes) * clock_rate(collector.clock)
    collector.wake_hook = wake_now
    collector.wake_at_hook = wake_at
    collector.next_run_hook = next_run
