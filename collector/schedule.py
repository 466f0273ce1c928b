"""When the `collect` job really collects a channel: its first run at or after the channel's due time."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from clock import Clock, ScaledClock

JOB_ID = "collect"

def collection_time(
    due: datetime | None, now: datetime, next_run: datetime | None, interval: timedelta,
    running: bool = False,
) -> datetime | None:
    """When the `collect` job really collects a channel that is due at `due` (None: due already).

    A run collects every channel due by then, so a channel waits for the job's first run at or
    after its due time (`next_run`, then every `interval`); while a run is under way (`running`), a
    channel already due is collected in it, now. None when no run is scheduled at all.
    """
    due = due or now
    if running and due <= now:
        return now
    if next_run is None:
        return None
    if due <= next_run:
        return next_run
    return next_run + math.ceil((due - next_run) / interval) * interval


def upcoming_run(next_run: datetime, now: datetime, interval: timedelta) -> datetime:
    """`next_run` as last recorded, moved on by whole intervals past `now` (a run skipped while the
    previous one was still draining moves the schedule on without anyone recording it)."""
    if next_run >= now:
        return next_run
    return next_run + math.ceil((now - next_run) / interval) * interval


def clock_rate(clock: Clock) -> float:
    """Collector-clock seconds per wall-clock second: 1, or more on the sandbox's fast clock."""
    return 1 / clock.factor if isinstance(clock, ScaledClock) else 1.0


def on_clock(moment: datetime, clock: Clock) -> datetime:
    """The scheduler's wall-clock `moment` on the collector's clock: the sandbox's runs faster, and
    due times, `now` and the next run must all be on one timeline to be compared."""
    rate = clock_rate(clock)
    if rate == 1.0:
        return moment
    # The wall clock on purpose: APScheduler's `moment` is wall time, whatever clock we inject.
    return clock.now() + (moment - datetime.now(UTC)) * rate


# How long before the job's next run a channel just collected falls due again: enough that the
# run takes it even if the clocks differ by a hair, and at most a tenth of the interval.
ROUND_SLACK = timedelta(seconds=60)


def due_again(now: datetime, next_run: datetime | None, interval: timedelta) -> datetime:
    """When a channel collected `now` is due again: just before the job's next run, so that run
    collects it (and the time shown for it is that run's)."""
    if next_run is None:
        # No scheduler (`collect --once`): a round's worth, less a little for a late finish.
        return now + interval * 0.9
    upcoming = upcoming_run(next_run, now, interval)
    slack = min(interval / 10, ROUND_SLACK)
    return upcoming - slack if upcoming - slack > now else upcoming
