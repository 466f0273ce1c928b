"""Charts are valid PNGs of plausible size for 0, 1 and 5,000 posts."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.charts import channel_charts, heatmap_chart, post_chart, post_history_chart, views_chart
from analytics.metrics import heatmap
from analytics.service import post_history
from analytics.windows import parse_window
from storage.queries import PostRow
from storage.subscribers import SubscriberPoint

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG) and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def rows(n: int, now: datetime) -> list[PostRow]:
    return [
        PostRow(i + 1, now - timedelta(hours=3 * (n - i)), "", 1, 1000 + (i * 37) % 5000, 1, 1, 1, 0, None)
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [0, 1, 5000])
async def test_views_and_heatmap_for_n_posts(n: int, now: datetime) -> None:
    posts = rows(n, now)
    subs = [SubscriberPoint(now - timedelta(days=d), 100_000 + d) for d in range(min(n, 30))]
    views = await views_chart(posts, subs, f"@pulse — {n} posts")
    heat = await heatmap_chart(heatmap(posts, "UTC"), "@pulse — heatmap")
    for png in (views, heat):
        assert png_size(png) == (960, 540)
        assert 5_000 < len(png) < 600_000


async def test_post_chart(now: datetime) -> None:
    png = await post_chart([1.0, 5.0, 24.0], [10, 200, 950], "@pulse/10")
    assert png_size(png) == (960, 540) and len(png) > 5_000


async def test_channel_charts_and_history_chart(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    charts = await channel_charts(engine, pulse, parse_window("7d"), now, "UTC")
    assert len(charts) == 2 and all(png_size(c) == (960, 540) for c in charts)
    history = await post_history(engine, pulse, 10, now)
    assert history is not None
    assert png_size(await post_history_chart(history)) == (960, 540)


@pytest.mark.parametrize("title", ["Earn $1000 #daily $", "$$ money $$", "$BTC $ETH"])
async def test_a_dollar_in_a_title_is_drawn_as_typed(title: str, now: datetime) -> None:
    from analytics.charts import bars_chart

    posts = rows(3, now)
    for png in (
        await views_chart(posts, [], title),
        await bars_chart([title, "other"], [10, 20], "views"),
    ):
        assert png_size(png) == (960, 540)
