"""/channels and the replies about one channel's tracking (pause, resume, remove)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.render import esc, heading, human, when
from storage.counts import ChannelCounts
from storage.models import Channel


def status_words(channel: Channel) -> str:
    if channel.status == "failed":
        return f"failed: {esc(channel.status_reason or 'no reason recorded')}"
    if channel.status == "paused":
        return f"paused ({esc(channel.status_reason)})" if channel.status_reason else "paused"
    if channel.status == "queued":
        return "queued, first collection pending"
    return "active"


def next_collection(channel: Channel, at: datetime | None, now: datetime, tz: str) -> str:
    """`at`: when the collector's job will really collect it (its first run at or after the due time)."""
    if channel.status in ("paused", "failed"):
        return "none"
    if at is None:
        return "not scheduled"
    if at <= now:
        return "now, in the run under way"
    return when(at, tz)


def render_channels(
    channels: Sequence[Channel], counts: dict[int, ChannelCounts], now: datetime, tz: str,
    collect_at: Mapping[int, datetime | None],
) -> str:
    """`collect_at`: channel id -> when it is really collected next (see `Collector.collection_time`)."""
    if not channels:
        return "No channels tracked yet. Add one with /add_channel @name"
    lines = [f"<b>Tracked channels: {len(channels)}</b>"]
    for ch in channels:
        tally = counts.get(ch.id, ChannelCounts())
        upcoming = next_collection(ch, collect_at.get(ch.id), now, tz)
        lines += [
            "",
            f"{heading(ch)} — {status_words(ch)}",
            f"{human(tally.posts)} posts stored · {human(tally.subscribers)} subscribers",
            f"last collected: {when(ch.last_collected_at, tz)} · next: {upcoming}",
        ]
    return "\n".join(lines)


def not_tracked(username: str) -> str:
    return f"@{esc(username)} is not tracked — /add_channel it first"


def paused(channel: Channel, already: bool) -> str:
    if already:
        return f"{heading(channel)} is already paused. /resume @{esc(channel.username)} restarts it."
    return f"Paused {heading(channel)}. Its data is kept; /resume @{esc(channel.username)} restarts it."


def resumed(channel: Channel, already: bool) -> str:
    if already:
        return f"{heading(channel)} is being collected already; nothing to resume."
    return f"Resumed {heading(channel)}. It will be collected in the next round."


def confirm_remove(channel: Channel, posts: int) -> str:
    return (
        f"Stop tracking {heading(channel)}?\n"
        f"{human(posts)} posts are stored. Delete them, or keep them for /stats and /export?"
    )


def removed(channel: Channel, kept: bool) -> str:
    if kept:
        return f"Stopped tracking {heading(channel)}; its stored data is kept."
    return f"Stopped tracking {heading(channel)} and deleted its stored data."
