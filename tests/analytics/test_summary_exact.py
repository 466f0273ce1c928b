"""The summary's figures, now worked out in SQL, equal those computed in Python from every post of the
window (tests/analytics/reference_metrics.py) exactly: floats compared with ==, not approx.

The channel mixes what the figures must get right: albums (folded, captioned by their first item
with text), deleted and service messages, unknown views, zero views, ties in views and in ER, counters
known on some posts only, views at ~24 h on some, posts on both sides of a daylight saving change.
They run on SQLite and on PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.digest import digest_content
from analytics.service import channel_summary
from analytics.windows import parse_window
from storage.db import read, write
from storage.queries import collapsed_posts, history_starts
from storage.tables import channels, posts
from tests.analytics import reference_metrics as old
from tests.analytics.conftest import add_channel, add_subscribers

# After the European (03-29) and North American (03-08) clock changes, so 30d windows span them.
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
ZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns")


def mixed_posts(channel_id: int, seed: int, n: int, days: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    mid, album = 0, 10**12
    while len(rows) < n:
        at = NOW - timedelta(seconds=rng.randrange(days * 86400))
        size = rng.choice((1, 1, 1, 1, 2, 3))
        album += 1
        for item in range(size):
            mid += 1
            known = rng.random()
            views = rng.choice((100, 250, 250, rng.randrange(5000)))
            views = None if known < 0.08 else 0 if known < 0.11 else views
            rows.append({
                "channel_id": channel_id, "message_id": mid, "date": at + timedelta(microseconds=item),
                "text": rng.choice(("", "", "a caption of several words, more than eight of them here",
                                    f"post {mid}")),
                "media_kind": "service" if rng.random() < 0.03 else rng.choice((None, "photo", "video")),
                "grouped_id": album if size > 1 else None, "deleted": rng.random() < 0.04,
                "first_seen_at": at, "updated_at": NOW, "views": views,
                "forwards": rng.choice((None, 0, rng.randrange(30))),
                "replies": rng.choice((None, None, rng.randrange(10))),
                "reactions": rng.choice((None, 0, 5, rng.randrange(200))),
                "paid_reactions": rng.choice((None, None, None, rng.randrange(3))),
                "views_24h": None if views is None or rng.random() < 0.3 else views * 4 // 5,
            })
    return rows


async def seeded_channel(engine: AsyncEngine, username: str, seed: int, n: int, days: int) -> int:
    cid = await add_channel(engine, username, NOW - timedelta(minutes=30), complete=seed % 2 == 0)
    async with write(engine) as conn:
        await conn.execute(posts.insert(), mixed_posts(cid, seed, n, days))
    for back, count in ((days + 40, 900), (20, 1000), (3, 1200), (0, 1250)):
        await add_subscribers(engine, cid, NOW - timedelta(days=back), count)
    return cid


async def expected(engine: AsyncEngine, cid: int, window: str, tz: str) -> dict[str, object]:
    """Every post-derived figure, computed in Python from all the window's folded posts."""
    w = parse_window(window)
    start, end = w.bounds(NOW)
    async with read(engine) as conn:
        rows = await collapsed_posts(conn, cid, start, end)
        history_from = (await history_starts(conn, cid)).get(cid)
        prev = w.previous_bounds(NOW)
        if prev is not None and history_from is not None and prev[0] < history_from:
            prev = None
        prev_rows = None if prev is None else await collapsed_posts(conn, cid, *prev)
    days = w.read_days(NOW, rows[0].date if rows else None, history_from, NOW - timedelta(minutes=30))
    by_views, by_er = old.top_posts(rows, f"u{cid}")
    return {
        "current": post_figures(old.window_metrics(rows, start, end, days, None, None)),
        "previous": None if prev is None or prev_rows is None else post_figures(old.window_metrics(
            prev_rows, prev[0], prev[1], (prev[1] - prev[0]) / timedelta(days=1), None, None
        )),
        "top_by_views": by_views, "top_by_er": by_er, "best_hour": old.best_hour(rows, tz),
    }


def post_figures(m: object) -> dict[str, object]:
    """The figures that come from posts (the subscriber ones have their own tests)."""
    names = ("posts", "posts_per_day", "views_posts", "views_mean", "views_median", "err24_posts", "er",
             "forwards_per_post", "reactions_per_post", "paid_reactions_per_post", "replies_per_post")
    return {n: getattr(m, n) for n in names}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_summary_figures_equal_the_python_computation(engine: AsyncEngine, seed: int) -> None:
    cid = await seeded_channel(engine, f"u{seed}", seed, n=500, days=75)
    async with write(engine) as conn:  # channel usernames double as the top posts' links
        await conn.execute(channels.update().where(channels.c.id == cid).values(username=f"u{cid}"))
    for window in ("24h", "7d", "30d", "all"):
        for tz in ZONES:
            s = await channel_summary(engine, cid, parse_window(window), NOW, tz)
            want = await expected(engine, cid, window, tz)
            assert s.current is not None
            got = {
                "current": post_figures(s.current),
                "previous": None if s.previous is None else post_figures(s.previous),
                "top_by_views": s.top_by_views, "top_by_er": s.top_by_er, "best_hour": s.best_hour,
            }
            assert got == want, (window, tz)


async def test_ties_in_views_and_er_rank_as_before(engine: AsyncEngine) -> None:
    """Equal views: the earlier message first; equal ER: more views first, then the earlier."""
    cid = await add_channel(engine, "ties", NOW - timedelta(minutes=30))
    at = NOW - timedelta(days=1)
    same = {"channel_id": cid, "date": at, "first_seen_at": at, "updated_at": NOW, "text": ""}
    async with write(engine) as conn:
        await conn.execute(posts.insert(), [
            {**same, "message_id": 5, "views": 300, "reactions": 3},  # ER 1 %
            {**same, "message_id": 3, "views": 300, "reactions": 6},  # ER 2 %
            {**same, "message_id": 1, "views": 100, "reactions": 2},  # ER 2 %, fewer views
            {**same, "message_id": 2, "views": 300, "reactions": 6},  # ER 2 %
            {**same, "message_id": 4, "views": 0, "reactions": 9},  # no ER: no views
            {**same, "message_id": 6, "views": 50, "reactions": None},  # no ER: no interaction known
        ])
    s = await channel_summary(engine, cid, parse_window("7d"), NOW, "UTC")
    assert [p.message_id for p in s.top_by_views] == [2, 3, 5]
    assert [p.message_id for p in s.top_by_er] == [2, 3, 1]
    assert s.current is not None and s.current.views_median == 200.0  # 0 50 | 100 300 | 300 300


async def test_empty_window_and_unknown_views(engine: AsyncEngine) -> None:
    cid = await add_channel(engine, "quiet", NOW - timedelta(minutes=30))
    s = await channel_summary(engine, cid, parse_window("30d"), NOW, "Europe/Berlin")
    m = s.current
    assert m is not None
    assert (m.posts, m.views_posts, m.views_mean, m.views_median, m.er) == (0, 0, None, None, None)
    assert (m.forwards_per_post, m.err24, m.err24_posts) == (None, None, 0)
    assert s.top_by_views == () and s.top_by_er == () and s.best_hour is not None and s.best_hour.hour is None
    at = NOW - timedelta(hours=5)
    async with write(engine) as conn:
        await conn.execute(posts.insert(), [
            {"channel_id": cid, "message_id": i, "date": at, "first_seen_at": at, "updated_at": NOW,
             "views": None, "forwards": 2} for i in (1, 2, 3)
        ])
    m = (await channel_summary(engine, cid, parse_window("30d"), NOW, "UTC")).current
    assert m is not None
    assert (m.posts, m.views_posts, m.views_mean, m.views_median, m.er) == (3, 0, None, None, None)
    assert m.forwards_per_post == 2.0


async def test_digest_totals_equal_the_python_computation(engine: AsyncEngine) -> None:
    cid = await seeded_channel(engine, "digested", 7, n=300, days=20)
    since = NOW - timedelta(days=7)
    content = await digest_content(engine, [cid], since, NOW)
    async with read(engine) as conn:
        rows = await collapsed_posts(conn, cid, since, NOW)
    (ch,) = content.channels
    known = [r.views for r in rows if r.views is not None]
    assert (ch.posts, ch.views) == (len(rows), sum(known))
    assert ch.views_per_post == old.mean(known)
    by_views, _ = old.top_posts(rows, "digested")
    assert ch.top_post == by_views[0]
