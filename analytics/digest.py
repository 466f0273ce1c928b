"""Digest content: per channel, what happened since the last digest, plus one chart for several."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.charts import bars_chart
from analytics.figures import window_figures
from analytics.metrics import top_post
from analytics.records import DigestChannel, DigestContent
from storage.channels import COLLECTABLE, ChannelRepo
from storage.db import read
from storage.digests import read_marks
from storage.models import Channel
from storage.queries import history_starts
from storage.window_stats import top_posts, window_totals

# A channel still being collected whose last collection is this far behind the freshest covered
# one is stuck (postponed, its runs failing): waiting for it would stall every other channel's posts.
LAGGING = timedelta(hours=12)


def read_up_to(
    channels: Sequence[Channel], since: datetime, now: datetime,
    marks: Mapping[int, datetime] | None = None,
) -> datetime:
    """Where a digest over `channels` may end, so that every post published before it has been read:
    the oldest read mark among the channels still being collected (a post published after it is read
    by a later collection, and belongs in the next digest). A channel's mark is `marks[id]` (the start
    of the run behind its last collection, see `storage.digests.read_marks`), else its last collection.

    Paused, failed and never-collected channels, and one lagging `LAGGING` behind the others, do not
    hold the rest back. Never before `since` (the period only moves forward), never after `now`."""
    read: list[tuple[Channel, datetime]] = []
    for c in channels:
        if c.last_collected_at is not None:
            read.append((c, min((marks or {}).get(c.id, c.last_collected_at), c.last_collected_at)))
    live = [at for c, at in read if c.status in COLLECTABLE]
    if live:
        freshest = max(live)
        end = min(at for at in live if at >= freshest - LAGGING)
    elif read:
        # Nothing more is coming from these until one is resumed: as far as any was read.
        end = max(at for _, at in read)
    else:
        return since  # nothing read at all: the period stays open
    return max(since, min(end, now))


async def digest_content(
    engine: AsyncEngine, channel_ids: Sequence[int] | None, since: datetime, now: datetime,
    *, up_to_read: bool = False,
) -> DigestContent:
    """Figures of each channel over [since, now); `channel_ids` None means every tracked channel.

    With `up_to_read` the period ends at `read_up_to(...)` instead (`until`): a scheduled digest
    then covers only posts already read, and the next one starts there."""
    out = []
    async with read(engine) as conn:
        repo = ChannelRepo(conn)
        channels = await repo.list_all()
        if channel_ids is not None:
            wanted = set(channel_ids)
            channels = [c for c in channels if c.id in wanted]
        until = read_up_to(channels, since, now, await read_marks(conn)) if up_to_read else None
        end = until or now
        starts = await history_starts(conn)
        for ch in channels:
            if ch.last_collected_at is None or ch.last_collected_at < since:
                # Never collected, or not since the last digest: nothing of the period was read.
                out.append(DigestChannel(
                    ch.id, ch.username, ch.title, ch.last_collected_at, *([None] * 8),
                    status=ch.status, status_reason=ch.status_reason,
                ))
                continue
            start = starts.get(ch.id)
            totals = await window_totals(conn, ch.id, since, end)
            m = await window_figures(conn, ch.id, since, end, totals=totals)
            top, _ = await top_posts(conn, ch.id, since, end, 1)
            out.append(DigestChannel(
                ch.id, ch.username, ch.title, ch.last_collected_at, m.posts, totals.views.total, m.views_mean,
                m.err, m.subscribers, m.subscribers_change, m.subscribers_change_pct,
                top_post(top[0], ch.username) if top else None,
                status=ch.status, status_reason=ch.status_reason,
                partial_from=start if start is not None and since < start else None,
            ))
    # A channel with nothing read, or no known views, has no bar rather than one at 0.
    shown = [c for c in out if c.views is not None]
    chart = None
    if len(shown) > 1:
        chart = await bars_chart(
            [c.display for c in shown], [c.views or 0 for c in shown],
            # The digest's text says since when, in the subscriber's time zone.
            "Views of the posts in this digest, by channel",
        )
    return DigestContent(since, now, tuple(out), chart, until)
