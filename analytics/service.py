"""What the bot and the CLI call for a channel: its summary, the overview, a post's history.

Digest content is `analytics.digest`, alerts `analytics.alerts`; the records all live in
`analytics.records`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from analytics.figures import window_figures
from analytics.local_time import utc_offsets
from analytics.metrics import TOP_N, best_hour, excerpt, pct, top_post
from analytics.records import ChannelSummary, HistoryPoint, OverviewRow, PostHistory
from analytics.windows import Window
from storage.channels import ChannelRepo
from storage.db import read
from storage.models import Channel
from storage.posts import PostRepo
from storage.queries import channel_with_history_start, history_starts, overview_rows
from storage.subscribers import subscribers_at_each, subscribers_by_channel
from storage.window_stats import oldest_post, top_posts, window_by_hour


def status_note(status: str, reason: str | None, start: bool = False) -> str | None:
    """Why a channel is not being collected, in words (`start`: capitalised to open a line);
    None while it is collected."""
    if status == "failed":
        note = f"collection failed: {reason or 'unknown reason'}"
    elif status == "paused":
        note = "collection is paused" + (f" ({reason})" if reason else "")
    else:
        return None
    return note[0].upper() + note[1:] if start else note


def coverage_notes(s: ChannelSummary, since: str) -> list[str]:
    """Why a window's figures are partial or have nothing beside them; `since` shows history_from."""
    notes = []
    if s.partial:
        notes.append(f"Posts are read back to {since} so far; older ones are not in these figures yet.")
    if s.previous_unread:
        notes.append(
            f"Nothing to compare with: the window before reaches past the oldest post read ({since})."
        )
    return notes


async def _channel(conn: AsyncConnection, channel_id: int) -> Channel:
    channel = await ChannelRepo(conn).get(channel_id)
    if channel is None:
        raise LookupError(f"no tracked channel with id {channel_id}")
    return channel


async def channel_summary(
    engine: AsyncEngine, channel_id: int, window: Window, now: datetime, tz: str
) -> ChannelSummary:
    """The channel's figures over `window` ending at `now`, beside the previous window's."""
    async with read(engine) as conn:
        found = await channel_with_history_start(conn, channel_id)
        if found is None:
            raise LookupError(f"no tracked channel with id {channel_id}")
        channel, history_from = found
        base = ChannelSummary(
            channel.id, channel.username, channel.title, channel.status, window.name, window.label,
            now, tz, channel.last_collected_at, None, None, (), (), None,
            status_reason=channel.status_reason,
        )
        start, end = window.bounds(now)
        if channel.last_collected_at is None or (start is not None and channel.last_collected_at < start):
            return base  # no figures: never collected, or not since the window began
        prev = window.previous_bounds(now)
        unread = prev is not None and history_from is not None and prev[0] < history_from
        if unread:
            prev = None
        # The database folds, sums and ranks; only the answer's few rows come back.
        first = start or await oldest_post(conn, channel_id) or end
        totals, by_hour, prev_totals = await window_by_hour(
            conn, channel_id, start, end, utc_offsets(tz, first, end), prev)
        days = window.read_days(now, totals.first_post, history_from, channel.last_collected_at)
        instants = [t for t in (start, end, prev[0] if prev else None) if t is not None]
        spans = [(start, end), *([prev] if prev else [])]
        known = await subscribers_at_each(conn, channel_id, instants, spans)
        current = await window_figures(conn, channel_id, start, end, days, totals, known)
        previous = None
        if prev is not None:
            previous = await window_figures(
                conn, channel_id, prev[0], prev[1], totals=prev_totals, known=known)
        by_views, by_er = await top_posts(conn, channel_id, start, end, TOP_N)
    return ChannelSummary(
        **{**base.__dict__, "current": current, "previous": previous,
           "top_by_views": tuple(top_post(r, channel.username) for r in by_views),
           "top_by_er": tuple(top_post(r, channel.username) for r in by_er), "best_hour": best_hour(by_hour),
           "history_from": history_from, "previous_unread": unread},
    )


async def overview(engine: AsyncEngine, window: Window, now: datetime) -> list[OverviewRow]:
    """One row per tracked channel, most subscribers first (unknown counts last)."""
    start, end = window.bounds(now)
    out = []
    async with read(engine) as conn:
        channels = await ChannelRepo(conn).list_all()
        aggregates = await overview_rows(conn, [c.id for c in channels], start, end)
        counts = await subscribers_by_channel(conn, start, end)
        starts = await history_starts(conn)
    for ch in channels:
        subs, base = counts.get(ch.id, (None, None))
        change = subs - base.subscribers if subs is not None and base is not None else None
        since = starts.get(ch.id)
        if ch.last_collected_at is None or (start is not None and ch.last_collected_at < start):
            # Never collected, or not since the window began: nothing of it was read.
            out.append(OverviewRow(
                ch.id, ch.username, ch.title, ch.status, ch.last_collected_at, subs, None, None,
                None, None, None, None, status_reason=ch.status_reason,
            ))
            continue
        n, seen, views, inter, rated_views = aggregates.get(ch.id, (0, 0, None, None, None))
        per_post = views / seen if seen and views is not None else None
        out.append(OverviewRow(
            ch.id, ch.username, ch.title, ch.status, ch.last_collected_at, subs, change,
            pct(change, base.subscribers if base else None), n, per_post, pct(per_post, subs),
            pct(inter, rated_views), status_reason=ch.status_reason, history_from=since,
            partial=since is not None and (start is None or start < since),
            subscribers_change_since=base.taken_at
            if base and change is not None and (start is None or base.taken_at > start) else None,
        ))
    return sorted(out, key=lambda r: (r.subscribers is None, -(r.subscribers or 0), r.username))


async def post_history(
    engine: AsyncEngine, channel_id: int, message_id: int, now: datetime
) -> PostHistory | None:
    """A post's counters at every snapshot, with its age at each; None when it was never stored."""
    async with read(engine) as conn:
        channel = await _channel(conn, channel_id)
        repo = PostRepo(conn)
        post = await repo.get(channel_id, message_id)
        if post is None:
            return None
        snaps = await repo.snapshots(channel_id, message_id)
    hour = timedelta(hours=1)
    points = tuple(
        HistoryPoint(s.taken_at, (s.taken_at - post.date) / hour, s.views, s.forwards, s.reactions,
                     s.paid_reactions, s.replies)
        for s in sorted(snaps, key=lambda s: s.taken_at)
    )
    return PostHistory(
        channel_id, channel.username, message_id, f"https://t.me/{channel.username}/{message_id}",
        post.date, excerpt(post.text), post.deleted, (now - post.date) / hour, points,
    )
