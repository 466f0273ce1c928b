"""PNG charts of a summary, a post and a digest: the data read here, the drawing in a worker thread.

matplotlib (and `analytics.chart_drawing`, which uses it) is imported in that thread with the first
chart: an app that never draws one never loads it, and the first draw does not stall the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from types import ModuleType

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.chart_data import channel_chart_data
from analytics.records import PostHistory
from analytics.windows import Window
from storage.queries import PostRow
from storage.subscribers import SubscriberPoint


async def _draw(draw: Callable[[ModuleType], bytes]) -> bytes:
    def work() -> bytes:
        from analytics import chart_drawing

        return draw(chart_drawing)

    return await asyncio.to_thread(work)


async def views_chart(
    posts: Sequence[PostRow], subscribers: Sequence[SubscriberPoint], title: str, tz: str = "UTC"
) -> bytes:
    """Views of each post over time (in `tz`), with the subscriber line on a second axis."""
    return await _draw(lambda d: d.views_png(posts, subscribers, title, tz))


async def heatmap_chart(grid: list[list[float | None]], title: str) -> bytes:
    """Median views by weekday (rows, Monday first) × hour of publication (columns)."""
    return await _draw(lambda d: d.heatmap_png(grid, title))


async def post_chart(ages: Sequence[float], views: Sequence[int | None], title: str) -> bytes:
    """One post's views over its age in hours."""
    return await _draw(lambda d: d.post_png(ages, views, title))


async def post_history_chart(history: PostHistory) -> bytes:
    ages = [p.age_hours for p in history.points]
    views = [p.views for p in history.points]
    return await post_chart(ages, views, f"@{history.username}/{history.message_id}: views by age")


async def bars_chart(labels: Sequence[str], values: Sequence[float], title: str) -> bytes:
    """One horizontal bar per label (the digest's channels), first label on top."""
    return await _draw(lambda d: d.bars_png(labels, values, title))


async def channel_charts(
    engine: AsyncEngine, channel_id: int, window: Window, now: datetime, tz: str
) -> list[bytes]:
    """The summary's two charts: views with subscribers, and the weekday × hour heatmap."""
    data = await channel_chart_data(engine, channel_id, window, now, tz)
    name = f"@{data.username}"
    grid = [list(row) for row in data.heatmap]
    return [
        await views_chart(data.posts, data.subscribers, f"{name} — views per post, {window.label}", tz),
        await heatmap_chart(grid, f"{name} — median views by hour ({tz}), {window.label}"),
    ]
