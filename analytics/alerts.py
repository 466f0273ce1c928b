"""Alert rules, evaluated after each collection; every event is recorded once through AlertRepo."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.alerts import AlertRepo
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.models import Alert, Channel
from storage.queries import last_alert_at, snapshot_ages
from storage.runs import RunRepo
from storage.subscribers import first_subscribers, subscribers_at

SUBSCRIBERS, VIRAL, CHANNEL = "subscribers", "viral", "channel"
VIRAL_FACTOR = 3.0
VIRAL_CANDIDATE_AGE = timedelta(days=7)  # posts still gaining views; older ones are settled
VIRAL_REFERENCE_AGE = timedelta(days=30)
VIRAL_MIN_REFERENCES = 5  # below this a median says little, so no viral alert at all
DAY = timedelta(hours=24)
BASE_MAX_AGE = 2 * DAY  # the subscriber alert's base count: at or before 24 h ago, and not older

Candidate = tuple[str, str, str]  # (key, kind, text)


async def evaluate_alerts(
    engine: AsyncEngine, channel_id: int, now: datetime, subscriber_pct: float
) -> list[Alert]:
    """Evaluate every rule for the channel; returns only alerts not recorded before."""
    # Rules read without the write lock, so the collector is never held up by them.
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(channel_id)
        if channel is None:
            return []
        found = await _subscribers(conn, channel, now, subscriber_pct)
        found += await _viral(conn, channel, now)
        found += await _status(conn, channel)
    if not found:
        return []
    new = []
    async with write(engine) as conn:
        repo = AlertRepo(conn)
        for key, kind, text in found:
            if await repo.record(key, kind, text, now, channel.id):
                new.append(Alert(key, kind, text, now, channel.id))
    return new


async def _subscribers(
    conn: AsyncConnection, channel: Channel, now: datetime, threshold_pct: float
) -> list[Candidate]:
    latest = await subscribers_at(conn, channel.id, now)
    base = await subscribers_at(conn, channel.id, now - DAY)
    # After a gap in collection the count before it may be days old, and a change over days is
    # not a 24 h event: then the base is the earliest count of the last 24 h (the text says the
    # real span).
    if base is None or base.taken_at < now - BASE_MAX_AGE:
        base = await first_subscribers(conn, channel.id, now - DAY, now)
    if latest is None or base is None or base.subscribers == 0 or base.taken_at >= latest.taken_at:
        return []
    change = (latest.subscribers - base.subscribers) / base.subscribers * 100
    if abs(change) <= threshold_pct:
        return []
    # One event per channel per day: the next collections still see the same jump.
    fired = await last_alert_at(conn, channel.id, SUBSCRIBERS)
    if fired is not None and fired > now - DAY:
        return []
    hours = (latest.taken_at - base.taken_at) / timedelta(hours=1)
    text = (
        f"{channel.display}: subscribers {base.subscribers:,} → {latest.subscribers:,} "
        f"({change:+.1f} %) in {hours:.0f} h"
    )
    return [(f"{SUBSCRIBERS}:{channel.id}:{latest.taken_at.isoformat()}", SUBSCRIBERS, text)]


class _Curve:
    """A post's (or album's) views by age in hours, ready for nearest-age look-ups."""

    def __init__(self, points: dict[float, int]) -> None:
        ordered = sorted(points.items())
        self.ages = [a for a, _ in ordered]
        self.views = [v for _, v in ordered]

    def near(self, age: float) -> int | None:
        """Views at the snapshot nearest `age`, if within a quarter of it (at least 1 h)."""
        i = bisect_left(self.ages, age)
        best = min((j for j in (i - 1, i) if 0 <= j < len(self.ages)), key=lambda j: abs(self.ages[j] - age))
        return self.views[best] if abs(self.ages[best] - age) <= max(1.0, age / 4) else None


async def _viral(conn: AsyncConnection, channel: Channel, now: datetime) -> list[Candidate]:
    snaps = await snapshot_ages(conn, channel.id, now - VIRAL_REFERENCE_AGE - VIRAL_CANDIDATE_AGE, now)
    points: dict[int, dict[float, int]] = defaultdict(dict)
    first_id: dict[int, int] = {}
    published: dict[int, datetime] = {}
    for s in snaps:  # an album's items share a date, so their ages coincide: keep the largest
        curve = points[s.album_key]
        curve[s.age_hours] = max(curve.get(s.age_hours, 0), s.views)
        first_id[s.album_key] = min(first_id.get(s.album_key, s.message_id), s.message_id)
        published[s.album_key] = s.date
    curves = {k: _Curve(c) for k, c in points.items()}
    found = []
    for key, curve in curves.items():
        if now - published[key] > VIRAL_CANDIDATE_AGE:
            continue  # settled posts are only references
        age, views = curve.ages[-1], curve.views[-1]
        refs = [v for k, c in curves.items() if k != key if (v := c.near(age)) is not None]
        if len(refs) < VIRAL_MIN_REFERENCES:
            continue
        typical = median(refs)
        if views > VIRAL_FACTOR * typical:
            mid = first_id[key]
            text = (
                f"{channel.display}: https://t.me/{channel.username}/{mid} has {views:,} views at "
                f"{age:.0f} h, {views / max(typical, 1):.1f}× the channel's median at that age "
                f"({typical:,.0f})"
            )
            found.append((f"{VIRAL}:{channel.id}:{mid}", VIRAL, text))
    return found


async def _status(conn: AsyncConnection, channel: Channel) -> list[Candidate]:
    # Only a channel the collector gave up on is an event; a disconnect, a FloodWait or a restart
    # mid-run is retried by itself and would only cry wolf (and use up the event's key).
    if channel.status != "failed":
        return []
    reason = channel.status_reason or "unknown reason"
    streak = []
    for run in await RunRepo(conn).recent(limit=100, channel_id=channel.id):
        if run.error is None:  # newest first: the unbroken run of failures up to now
            break
        streak.append(run)
    # The failure that started this streak names the event, so a recovery and a new failure re-fire.
    event = f"run{streak[-1].id}" if streak else f"status:{reason}"
    what = _FAILURES.get(channel.status_kind or "", "failed")
    return [(f"{CHANNEL}:{channel.id}:{event}", CHANNEL, f"{channel.display} {what}: {reason}")]


# By the kind of error the collector met (channels.status_kind), never by the words of the reason:
# "no channel is called @typo_chanel (the username is not taken)" names a username, not a rename.
# A rename is not a failure at all: the collector follows it and records its own alert.
_FAILURES = {
    "private": "became private",
    "not_found": "was not found",
    "banned": "is not available to this account",
    "not_channel": "is not a channel",
    "duplicate": "is tracked twice",
    "gone": "is no longer reachable",
}
