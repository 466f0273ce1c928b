"""What the dashboard's pages show, read through the analytics functions the API and the bot use;
the charts' series become plain JSON that the page's own script hands to the chart library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.chart_data import ChartData, channel_chart_data
from analytics.records import ChannelSummary, OverviewRow
from analytics.service import channel_summary, overview
from analytics.windows import Window
from api.context import ApiContext
from storage.db import read
from storage.models import Channel
from storage.post_pages import PostPage, post_page
from storage.subscribers import subscriber_series

PAGE_SIZE = 50


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def chart_json(data: ChartData, window: Window, now: datetime, tz: str) -> dict[str, Any]:
    """The series of a channel's three charts: views per post and subscribers (x: Unix seconds, drawn
    over the whole window) and the median views by weekday (rows, Monday first) × hour in `tz`."""
    start, end = window.bounds(now)
    firsts = [*(p.date for p in data.posts[:1]), *(s.taken_at for s in data.subscribers[:1])]
    since = start or min(firsts, default=end)  # "all": from the oldest point drawn
    return {
        "range": [_epoch(since), _epoch(end)],
        "views": [[_epoch(p.date) for p in data.posts], [p.views for p in data.posts]],
        "subscribers": [[_epoch(s.taken_at) for s in data.subscribers],
                        [s.subscribers for s in data.subscribers]],
        "heatmap": data.heatmap, "tz": tz,
    }


@dataclass(frozen=True)
class ListedChannel:
    row: OverviewRow
    sparkline: list[list[int]]  # [[Unix seconds...], [subscribers...]]


async def channel_list(ctx: ApiContext, window: Window) -> list[ListedChannel]:
    """Every tracked channel with its overview figures and its subscriber counts in the window."""
    now = ctx.clock.now()
    rows = await overview(ctx.engine, window, now)
    start, end = window.bounds(now)
    out = []
    async with read(ctx.engine) as conn:
        for row in rows:
            points = await subscriber_series(conn, row.channel_id, start, end)
            out.append(ListedChannel(row, [[_epoch(p.taken_at) for p in points],
                                           [p.subscribers for p in points]]))
    return out


@dataclass(frozen=True)
class ChannelView:
    summary: ChannelSummary
    charts: dict[str, Any]


async def channel_view(ctx: ApiContext, channel: Channel, window: Window) -> ChannelView:
    now, tz = ctx.clock.now(), ctx.settings.digest_timezone
    summary = await channel_summary(ctx.engine, channel.id, window, now, tz)
    data = await channel_chart_data(ctx.engine, channel.id, window, now, tz)
    return ChannelView(summary, chart_json(data, window, now, tz))


async def posts_table(
    ctx: ApiContext, channel: Channel, window: Window, sort: str, descending: bool, offset: int
) -> PostPage:
    """A page of the channel's posts in the window, as the API's posts route pages them."""
    start, end = window.bounds(ctx.clock.now())
    async with read(ctx.engine) as conn:
        return await post_page(conn, channel.id, since=start, until=end, media_kind=None, sort=sort,
                               descending=descending, limit=PAGE_SIZE, offset=offset)
