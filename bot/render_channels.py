"""/channels and the replies about one channel's tracking (pause, resume, remove)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.render import esc, human, when
from storage.counts import ChannelCounts
from storage.models import Channel


def channel_name(channel: Channel) -> str:
    """The title in bold with the @username beside it, both escaped."""
    if channel.title:
        return f"<b>{esc(channel.title)}</b> (@{esc(channel.username)})"
    return f"<b>@{esc(channel.username)}</b>"


def status_words(channel: Channel) -> str:
    if channel.status == "failed":
        return f"failed: {esc(channel.status_reason or 'no reason recorded')}"
    if channel.status == "paused":
        return f"paused ({esc(channel.status_reason)})" if channel.status_reason else "paused"
    if channel.status == "queued":
        return "queued, first collection pending"
    return "active"


def next_collection(channel: Channel, now: datetime, tz: str) -> str:
    if channel.status in ("paused", "failed"):
        return "none"
    if channel.next_collection_at is None or channel.next_collection_at <= now:
        return "due now"
    return when(channel.next_collection_at, tz)


def render_channels(
    channels: Sequence[Channel], counts: dict[int, ChannelCounts], now: datetime, tz: str
) -> str:
    if not channels:
        return "No channels tracked yet. Add one with /add_channel @name"
    lines = [f"<b>Tracked channels: {len(channels)}</b>"]
    for ch in channels:
        tally = counts.get(ch.id, ChannelCounts())
        lines += [
            "",
            f"{channel_name(ch)} — {status_words(ch)}",
            f"{human(tally.posts)} posts stored · {human(tally.subscribers)} subscribers",
            f"last collected: {when(ch.last_collected_at, tz)} · next: {next_collection(ch, now, tz)}",
        ]
    return "\n".join(lines)


def not_tracked(username: str) -> str:
    return f"@{esc(username)} is not tracked — /add_channel it first"


def paused(channel: Channel, already: bool) -> str:
    if already:
        return f"{channel_name(channel)} is already paused. /resume @{esc(channel.username)} restarts it."
    return f"Paused {channel_name(channel)}. Its data is kept; /resume @{esc(channel.username)} restarts it."


def resumed(channel: Channel, already: bool) -> str:
    if already:
        return f"{channel_name(channel)} is being collected already; nothing to resume."
    return f"Resumed {channel_name(channel)}. It will be collected in the next round."


def confirm_remove(channel: Channel, posts: int) -> str:
    return (
        f"Stop tracking {channel_name(channel)}?\n"
        f"{human(posts)} posts are stored. Delete them, or keep them for /stats and /export?"
    )


def removed(channel: Channel, kept: bool) -> str:
    if kept:
        return f"Stopped tracking {channel_name(channel)}; its stored data is kept."
    return f"Stopped tracking {channel_name(channel)} and deleted its stored data."
