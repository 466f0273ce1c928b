"""Which stored posts get their counters read again this run, in requests of at most 100 ids."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

RECENT = timedelta(days=7)  # posts older than this are settled: their counters are not re-read
FRESH = timedelta(hours=72)  # every post younger than this is re-read every run (up to the cap)
BAND = (timedelta(hours=20), timedelta(hours=48))  # where ERR24 looks for a post's snapshot
DAY = timedelta(hours=24)
REREAD_BATCH = 100  # ids per GetMessages request: Telegram's maximum
REREAD_MAX_REQUESTS = 5  # per channel per run, so a huge channel cannot hold up the queue

RecentPost = tuple[int, datetime, datetime]  # (message id, published, counters last read)


def plan_reread(
    recent: Iterable[RecentPost], now: datetime, skip: set[int],
    max_requests: int = REREAD_MAX_REQUESTS,
) -> list[list[int]]:
    """The re-read requests, most needed first: posts in the ERR24 band (nearest 24 h first), then
    the ones approaching it (oldest first), then the rest of the last 72 h. Posts from 72 h to
    7 days only fill the room left in the last request, least recently read first, so a quiet
    channel still takes one request and a busy one no more than it must."""
    fresh: list[tuple[tuple[int, float], int]] = []
    settled: list[tuple[datetime, int]] = []
    for message_id, date, read_at in recent:
        if message_id in skip:  # read by this run's history request already
            continue
        age = now - date
        if age > FRESH:
            settled.append((read_at, message_id))
        elif BAND[0] <= age <= BAND[1]:
            fresh.append(((0, abs((age - DAY).total_seconds())), message_id))
        elif age < BAND[0]:
            fresh.append(((1, -age.total_seconds()), message_id))
        else:
            fresh.append(((2, age.total_seconds()), message_id))
    cap = max_requests * REREAD_BATCH
    ids = [mid for _, mid in sorted(fresh)][:cap]
    room = -len(ids) % REREAD_BATCH if ids else REREAD_BATCH
    ids += [mid for _, mid in sorted(settled)][: min(room, cap - len(ids))]
    return [ids[i:i + REREAD_BATCH] for i in range(0, len(ids), REREAD_BATCH)]
