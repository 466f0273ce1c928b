"""The one APScheduler job, `collect`, that drains the collector's queue on an interval."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collector.service import Collector

JOB_ID = "collect"
# A run that could not start on time (a long drain, a suspended laptop) still runs when it can.
MISFIRE_GRACE_SECONDS = 3600


def schedule_collection(scheduler: AsyncIOScheduler, collector: Collector, interval_minutes: int) -> None:
    """Add the `collect` job (one instance at a time) and route `collector.wake()` through it."""
    job = scheduler.add_job(
        collector.drain, "interval", minutes=interval_minutes, id=JOB_ID, replace_existing=True,
        max_instances=1, coalesce=True, misfire_grace_time=MISFIRE_GRACE_SECONDS,
        next_run_time=datetime.now(UTC),
    )

    def wake_now() -> None:
        # Bringing the next run forward runs the job at once; the interval continues from there.
        job.modify(next_run_time=datetime.now(UTC))

    def next_run() -> datetime | None:
        current = scheduler.get_job(JOB_ID)
        return getattr(current, "next_run_time", None) if current else None

    collector.wake_hook = wake_now
    collector.next_run_hook = next_run
