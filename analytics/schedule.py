"""Digest schedule math as pure functions: slots in the subscriber's time zone, DST-safe, with grace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from analytics.records import ToDict

# A slot fired within this long of its time is on time; later it is "late" (still sent within grace).
ON_TIME = timedelta(minutes=1)


@dataclass(frozen=True)
class SlotDecision(ToDict):
    action: str  # "send", "skip" (too late: record the slot as handled) or "wait"
    slot: datetime | None
    late: bool
    next_slot: datetime


def _parse_at(at_time: str) -> time:
    hours, _, minutes = at_time.partition(":")
    return time(int(hours), int(minutes))


def _local_slot(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `at` on local `day`: the first occurrence when clocks go back, and the
    first valid local time after the gap when they go forward (02:30 -> 03:00 in Berlin)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        # Exists; when ambiguous, fold=0 is the earlier of the two occurrences.
        return min(first.astimezone(UTC), naive.replace(tzinfo=tz, fold=1).astimezone(UTC))
    # In the gap: fold=1 maps to the UTC instant before the jump, fold=0 to one after it; walk
    # minute by minute to the transition, where local time first passes `naive`.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    lo, hi = min(lo, hi), max(lo, hi)
    t = lo
    while t < hi and t.astimezone(tz).replace(tzinfo=None) < naive:
        t += timedelta(minutes=1)
    return t


def _matches(cadence: str, weekday: int | None, day: date) -> bool:
    if cadence == "daily":
        return True
    if cadence == "weekly":
        if weekday is None:
            raise ValueError("a weekly digest needs a weekday (0 = Monday)")
        return day.weekday() == weekday
    raise ValueError(f"unknown cadence {cadence!r}: use daily or weekly")


def next_slot(
    cadence: str, at_time: str, tz: str, weekday: int | None, after: datetime
) -> datetime:
    """The first slot strictly after `after`, as an aware UTC datetime."""
    zone, at = ZoneInfo(tz), _parse_at(at_time)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(16):
        if _matches(cadence, weekday, day):
            slot = _local_slot(day, at, zone)
            if slot > after:
                return slot
        day += timedelta(days=1)
    raise AssertionError("no slot within 16 days")


def previous_slot(
    cadence: str, at_time: str, tz: str, weekday: int | None, at_or_before: datetime
) -> datetime:
    """The latest slot at or before `at_or_before`."""
    probe = at_or_before - timedelta(days=8)
    latest = next_slot(cadence, at_time, tz, weekday, probe)
    while True:
        following = next_slot(cadence, at_time, tz, weekday, latest)
        if following > at_or_before:
            return latest
        latest = following


def slot_decision(
    cadence: str, at_time: str, tz: str, weekday: int | None, last_slot_sent: datetime | None,
    now: datetime, grace_hours: float,
) -> SlotDecision:
    """Whether the latest slot at or before `now` is due; older missed slots are never sent.

    A slot not yet handled is sent when `now` is within `grace_hours` of it (late when more than a
    minute has passed), and skipped beyond that; the caller stores `slot` as handled either way.
    """
    following = next_slot(cadence, at_time, tz, weekday, now)
    slot = previous_slot(cadence, at_time, tz, weekday, now)
    if last_slot_sent is not None and last_slot_sent >= slot:
        return SlotDecision("wait", None, False, following)
    delay = now - slot
    # A grace of 0 still lets the cron job, which fires a few milliseconds late, send on time.
    if delay > max(timedelta(hours=grace_hours), ON_TIME):
        return SlotDecision("skip", slot, True, following)
    return SlotDecision("send", slot, delay > ON_TIME, following)
