"""What a channel's charts show, read once for both of their forms: the bot's PNGs
(`analytics.charts.channel_charts`) and the dashboard's interactive charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.metrics import heatmap
from analytics.windows import Window
from storage.channels import ChannelRepo
from storage.db import read
from storage.queries import PostRow, collapsed_posts
from storage.subscribers import SubscriberPoint, subscriber_series


@dataclass(frozen=True)
class ChartData:
    username: str
    posts: tuple[PostRow, ...]  # albums folded, oldest first
    subscribers: tuple[SubscriberPoint, ...]  # known counts, oldest first
    heatmap: tuple[tuple[float | None, ...], ...]  # median views [weekday][hour], Monday first


async def channel_chart_data(
    engine: AsyncEngine, channel_id: int, window: Window, now: datetime, tz: str
) -> ChartData:
    """The posts, subscriber counts and weekday × hour medians of the window ending `now`."""
    start, end = window.bounds(now)
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(channel_id)
        if channel is None:
            raise LookupError(f"no tracked channel with id {channel_id}")
        posts = await collapsed_posts(conn, channel_id, start, end)
        subs = await subscriber_series(conn, channel_id, start, end)
    grid = tuple(tuple(row) for row in heatmap(posts, tz))
    return ChartData(channel.username, tuple(posts), tuple(subs), grid)
