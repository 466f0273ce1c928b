"""Every metric of the fixture channel, computed by hand (see conftest.py for the rows)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary, overview
from analytics.windows import parse_window
from tests.analytics.conftest import (
    COLLECTED,
    P,
    add_channel,
    add_posts,
    add_snapshot,
    add_subscribers,
    t,
)


async def test_seven_day_window_every_metric(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    s = await channel_summary(engine, pulse, parse_window("7d"), now, "UTC")
    m = s.current
    assert m is not None and s.last_collected_at == COLLECTED and not s.never_collected
    assert (m.start, m.end) == (t("2026-02-23 12:00"), now)
    # The latest KNOWN count at or before the end (11:30 is unknown), against the one before start.
    assert (m.subscribers, m.subscribers_at) == (1100, t("2026-03-02 11:00"))
    assert (m.subscribers_change, m.subscribers_change_since) == (100, t("2026-02-23 10:00"))
    assert m.subscribers_change_pct == pytest.approx(10.0)
    # 9 (at the boundary), 10, album 11-13, 14, 15 (unknown views), 16, 19; not 17 (deleted) or 18.
    # Per day of the window that was read: up to the last collection, half an hour before now.
    assert m.posts == 7 and m.posts_per_day == pytest.approx(7 / (7 - 0.5 / 24))
    assert m.views_posts == 6
    assert m.views_mean == pytest.approx(1560 / 6)  # 60+100+200+1000+120+80
    assert m.views_median == pytest.approx(110.0)  # the viral 1000 barely moves the median
    assert m.err == pytest.approx(260 / 1100 * 100)
    # Nearest snapshot to 24 h within 20-48 h: #10 at 22 h (90), album at 25 h (max 190), #14 at 47 h.
    assert m.err24_posts == 3
    assert m.err24 == pytest.approx((90 + 190 + 900) / 3 / 1100 * 100)
    # (2+1+0) + (5+2+1) + (10+3) + (70+20+10) + 6 + 4 = 134 over 1560 views.
    assert m.er == pytest.approx(134 / 1560 * 100)
    assert m.forwards_per_post == pytest.approx(26 / 6)
    assert m.reactions_per_post == pytest.approx(97 / 6)
    assert m.paid_reactions_per_post == pytest.approx(3 / 3)
    assert m.replies_per_post == pytest.approx(11 / 5)


async def test_previous_window_sits_beside(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    p = (await channel_summary(engine, pulse, parse_window("7d"), now, "UTC")).previous
    assert p is not None
    assert (p.start, p.end) == (t("2026-02-16 12:00"), t("2026-02-23 12:00"))
    assert p.posts == 2 and p.views_mean == pytest.approx(50.0) and p.views_median == pytest.approx(50.0)
    assert (p.subscribers, p.subscribers_change) == (1000, 50)
    assert p.subscribers_change_pct == pytest.approx(50 / 950 * 100)
    assert p.err == pytest.approx(5.0)
    assert p.er == pytest.approx((2 + 1 + 1) / 100 * 100)
    assert (p.err24, p.err24_posts) == (None, 0)


async def test_top_posts_and_links(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    s = await channel_summary(engine, pulse, parse_window("7d"), now, "UTC")
    assert [p.message_id for p in s.top_by_views] == [14, 11, 16]
    assert s.top_by_views[1].views == 200 and s.top_by_views[1].excerpt == "album caption"
    assert s.top_by_views[0].link == "https://t.me/pulse/14"
    assert [p.message_id for p in s.top_by_er] == [14, 10, 11]  # 10 %, 8 %, 6.5 %
    assert s.top_by_er[1].excerpt == "one two three four five six seven eight…"
    assert s.top_by_er[2].er == pytest.approx(6.5)


async def test_best_hour_in_the_digest_time_zone(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    utc = await channel_summary(engine, pulse, parse_window("7d"), now, "UTC")
    assert utc.best_hour is not None
    assert (utc.best_hour.hour, utc.best_hour.median_views) == (9, 200.0)  # 100, 200, 1000
    assert [h.hour for h in utc.best_hour.hours] == [9]  # other hours have fewer than 3 posts
    berlin = await channel_summary(engine, pulse, parse_window("7d"), now, "Europe/Berlin")
    assert berlin.best_hour is not None and berlin.best_hour.hour == 10


async def test_few_posts_give_no_best_hour(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    s = await channel_summary(engine, pulse, parse_window("24h"), now, "UTC")
    assert s.current is not None and s.current.posts == 1  # only #19
    assert s.best_hour is not None and s.best_hour.hour is None
    assert s.best_hour.text == "not enough posts yet"


async def test_all_window_counts_days_from_the_first_post(
    engine: AsyncEngine, pulse: int, now: datetime
) -> None:
    s = await channel_summary(engine, pulse, parse_window("all"), now, "UTC")
    assert s.previous is None and s.current is not None
    assert s.current.posts == 9
    # From the first post (02-20 08:00) to the last collection (03-02 11:30).
    assert s.current.posts_per_day == pytest.approx(9 / (10 + 3.5 / 24))
    assert (s.current.subscribers_change, s.current.subscribers_change_since) == (150, t("2026-02-16 00:00"))


async def test_never_collected_says_so(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "ghost", None)
    s = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    assert s.never_collected and s.current is None and s.previous is None
    assert s.to_dict()["never_collected"] is True and s.to_dict()["current"] is None


async def test_to_dict_is_plain_json(engine: AsyncEngine, pulse: int, now: datetime) -> None:
    summary = await channel_summary(engine, pulse, parse_window("7d"), now, "UTC")
    d = json.loads(json.dumps(summary.to_dict()))
    assert d["current"]["subscribers"] == 1100 and d["current"]["err24_posts"] == 3
    assert d["previous"]["err24"] is None and d["top_by_views"][0]["link"] == "https://t.me/pulse/14"


def test_parse_window_rejects_with_one_line() -> None:
    assert parse_window(" 30D ").name == "30d" and parse_window("all").duration is None
    with pytest.raises(ValueError) as info:
        parse_window("2w")
    assert "\n" not in str(info.value) and "24h, 7d, 30d, all" in str(info.value)


async def test_err24_band_includes_exactly_20h_and_48h(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "edges", now)
    await add_posts(engine, cid, (P(1, "2026-02-25 10:00", 500), P(2, "2026-02-26 10:00", 700)))
    await add_subscribers(engine, cid, t("2026-03-01 00:00"), 1000)
    await add_snapshot(engine, cid, 1, t("2026-02-26 06:00"), 200)  # exactly 20 h
    await add_snapshot(engine, cid, 1, t("2026-02-26 05:59"), 999)  # 19 h 59 m: outside
    await add_snapshot(engine, cid, 2, t("2026-02-28 10:00"), 400)  # exactly 48 h
    m = (await channel_summary(engine, cid, parse_window("7d"), now, "UTC")).current
    assert m is not None and m.err24_posts == 2
    assert m.err24 == pytest.approx((200 + 400) / 2 / 1000 * 100)


async def test_er_is_unknown_when_no_interaction_counter_is(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "quiet", COLLECTED)
    await add_posts(engine, cid, (P(1, "2026-03-01 09:00", 500), P(2, "2026-03-01 10:00", 700)))
    s = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    assert s.current is not None and s.current.views_mean == 600
    assert s.current.er is None and all(p.er is None for p in s.top_by_views)
    (row,) = await overview(engine, parse_window("7d"), now)
    assert row.er is None and row.views_per_post == 600


async def test_an_albums_excerpt_is_its_first_captioned_item(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "album", COLLECTED)
    await add_posts(engine, cid, (
        P(21, "2026-03-01 09:00", 900, grouped=5, text="Our launch day"),
        P(22, "2026-03-01 09:00", 950, grouped=5, text="screenshot 2"),
        P(23, "2026-03-01 09:00", 800, grouped=5),
        P(31, "2026-03-01 10:00", 100, grouped=6),
        P(32, "2026-03-01 10:00", 120, grouped=6, text="caption on the second item"),
    ))
    s = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    assert [(p.message_id, p.excerpt) for p in s.top_by_views] == [
        (21, "Our launch day"), (31, "caption on the second item")
    ]
