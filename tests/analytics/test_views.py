"""The overview, one post's history, digest content and exports, from the fixture channel."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.digest import digest_content
from analytics.export import export_posts
from analytics.service import channel_summary, overview, post_history
from analytics.windows import parse_window
from tests.analytics.conftest import P, add_channel, add_posts, add_subscribers, t

PNG = b"\x89PNG\r\n\x1a\n"


async def test_overview_sorted_by_subscribers(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    big = await add_channel(engine, "big", now)
    await add_subscribers(engine, big, t("2026-03-01 00:00"), 5000)
    await add_channel(engine, "ghost", None)
    rows = await overview(engine, parse_window("7d"), now)
    assert [r.username for r in rows] == ["big", "pulse", "ghost"]
    big_row, pulse_row, ghost = rows
    assert (big_row.subscribers, big_row.posts, big_row.views_per_post) == (5000, 0, None)
    assert (pulse_row.subscribers, pulse_row.subscribers_change, pulse_row.posts) == (1100, 100, 7)
    assert pulse_row.views_per_post == pytest.approx(260.0)
    assert pulse_row.err == pytest.approx(260 / 1100 * 100)
    assert pulse_row.er == pytest.approx(134 / 1560 * 100)
    assert (ghost.subscribers, ghost.posts, ghost.last_collected_at) == (None, None, None)


async def test_post_history_with_ages(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    h = await post_history(engine, pulse, 10, now)
    assert h is not None and h.link == "https://t.me/pulse/10"
    assert [(p.age_hours, p.views) for p in h.points] == [(19.0, 70), (22.0, 90), (30.0, 95)]
    assert h.age_hours == pytest.approx(6 * 24 + 3)
    assert await post_history(engine, pulse, 999, now) is None


async def test_digest_for_one_and_for_several(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    one = await digest_content(engine, [pulse], t("2026-02-26 00:00"), now)
    assert one.chart_png is None and len(one.channels) == 1
    c = one.channels[0]
    # 14 (1000), 15 (unknown), 16 (120), 19 (80) since 02-26; 17 deleted, 18 service.
    assert (c.posts, c.views, c.subscribers, c.subscribers_change) == (4, 1200, 1100, 100)
    assert c.err == pytest.approx(400 / 1100 * 100)
    assert c.top_post is not None and c.top_post.link == "https://t.me/pulse/14"
    other = await add_channel(engine, "other", now)
    await add_posts(engine, other, (P(1, "2026-03-01 00:00", 10),))
    await add_channel(engine, "ghost", None)
    every = await digest_content(engine, None, t("2026-02-26 00:00"), now)
    assert [x.username for x in every.channels] == ["pulse", "other", "ghost"]
    assert every.channels[1].views == 10 and every.channels[2].posts is None
    assert every.chart_png is not None and every.chart_png.startswith(PNG)
    assert every.to_dict()["chart_png"] is None  # the PNG travels beside the JSON


async def test_export_csv_keeps_unknowns_empty(engine: AsyncEngine, pulse: int) -> None:
    rows = list(csv.DictReader(io.StringIO(await export_posts(engine, pulse))))
    assert len(rows) == 13 and rows[0]["message_id"] == "7"
    by_id = {r["message_id"]: r for r in rows}
    assert by_id["15"]["views"] == "" and by_id["17"]["deleted"] == "True"
    assert by_id["14"]["link"] == "https://t.me/pulse/14" and by_id["14"]["views"] == "1000"


async def test_export_series_json(engine: AsyncEngine, pulse: int) -> None:
    data = json.loads(await export_posts(engine, pulse, "json", series=True))
    assert len(data) == 11
    assert data[0] == {
        "message_id": 10, "run_id": data[0]["run_id"], "taken_at": "2026-02-25T04:00:00+00:00",
        "age_hours": 19.0, "views": 70, "forwards": None, "replies": None, "reactions": None,
        "paid_reactions": None,
    }
    with pytest.raises(ValueError):
        await export_posts(engine, pulse, "xml")


async def test_one_count_gives_no_change_rather_than_zero(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "fresh", now)
    await add_subscribers(engine, cid, t("2026-03-02 11:00"), 700)
    stale = await add_channel(engine, "stale", now)
    await add_subscribers(engine, stale, t("2026-02-01 00:00"), 900)  # nothing seen in the window
    rows = {r.username: r for r in await overview(engine, parse_window("7d"), now)}
    assert (rows["fresh"].subscribers, rows["fresh"].subscribers_change) == (700, None)
    assert (rows["stale"].subscribers, rows["stale"].subscribers_change) == (900, None)
    summary = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    assert summary.current is not None and summary.current.subscribers_change is None
