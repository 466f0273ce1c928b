"""Time that was never read (before the oldest stored post, after the last collection) is unknown,
never "0 posts"; figures say what they rest on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.digest import digest_content
from analytics.service import channel_summary, overview
from analytics.windows import parse_window
from bot.digest.texts import render_digest
from bot.render_stats import render_overview, render_summary
from sandbox.botapi_html import parse_html
from storage.channels import ChannelRepo
from storage.db import write
from tests.analytics.conftest import COLLECTED, H, P, add_channel, add_posts, add_subscribers

DAY = timedelta(days=1)


def _posts(now: datetime, *ages_days: float) -> tuple[P, ...]:
    return tuple(
        P(i, f"{now - age * DAY:%Y-%m-%d %H:%M}", 100 * i) for i, age in enumerate(ages_days, 1)
    )


async def test_just_added_channel_read_back_30_days_has_no_previous_30_days(
    engine: AsyncEngine, now: datetime
) -> None:
    # The backfill stopped at the first post older than 30 days, as the collector does.
    cid = await add_channel(engine, "fresh", COLLECTED, complete=False)
    await add_posts(engine, cid, _posts(now, 31, 20, 10, 5, 1))
    month = await channel_summary(engine, cid, parse_window("30d"), now, "UTC")
    assert month.current is not None and month.current.posts == 4 and not month.partial
    assert month.previous is None and month.previous_unread
    assert month.history_from == now - 31 * DAY
    week = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    assert week.previous is not None and week.previous.posts == 1 and not week.previous_unread
    everything = await channel_summary(engine, cid, parse_window("all"), now, "UTC")
    assert everything.partial  # "all time" is only since the oldest post read


async def test_mid_backfill_the_window_itself_is_partial(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "filling", COLLECTED, complete=False)
    await add_posts(engine, cid, _posts(now, 3, 2, 1))
    s = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    assert s.partial and s.previous_unread and s.previous is None
    assert s.to_dict()["partial"] is True
    (row,) = await overview(engine, parse_window("7d"), now)
    assert row.partial and row.history_from == now - 3 * DAY


async def test_whole_history_read_shows_an_empty_previous_window_as_zero(
    engine: AsyncEngine, now: datetime
) -> None:
    cid = await add_channel(engine, "young", COLLECTED, complete=True)
    await add_posts(engine, cid, _posts(now, 3, 2, 1))
    s = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    assert not s.partial and not s.previous_unread and s.history_from is None
    assert s.previous is not None and s.previous.posts == 0  # it really published nothing then
    (row,) = await overview(engine, parse_window("7d"), now)
    assert not row.partial


async def test_a_digest_says_which_channels_failed_or_are_still_read_back(
    engine: AsyncEngine, now: datetime
) -> None:
    filling = await add_channel(engine, "filling", COLLECTED, complete=False)
    await add_posts(engine, filling, _posts(now, 0.5, 0.25))
    gone = await add_channel(engine, "gone", None)
    async with write(engine) as conn:
        await ChannelRepo(conn).update(gone, status="failed", status_reason="@gone is private")
    content = await digest_content(engine, None, now - DAY, now)
    shown = parse_html(render_digest(content, "UTC")).plain
    assert "@gone: collection failed: @gone is private" in shown
    assert "posts read back to" in shown and "not collected yet" not in shown


async def test_a_channel_not_collected_for_days_is_unread_not_empty(
    engine: AsyncEngine, now: datetime
) -> None:
    cid = await add_channel(engine, "stale", now - 3 * DAY)
    await add_posts(engine, cid, _posts(now, 6, 5, 4))
    async with write(engine) as conn:
        await ChannelRepo(conn).update(cid, status="failed", status_reason="@stale is private")
    day = await channel_summary(engine, cid, parse_window("24h"), now, "UTC")
    assert day.current is None and day.unread
    shown = parse_html(render_summary(day)).plain
    assert "Nothing collected in the last 24 hours: last collected 27 Feb 12:00 UTC." in shown
    assert "Collection failed: @stale is private" in shown and "Posts: 0" not in shown
    week_summary = await channel_summary(engine, cid, parse_window("7d"), now, "UTC")
    week = parse_html(render_summary(week_summary)).plain
    assert "Collection failed: @stale is private: these figures are as of that collection." in week
    (row,) = await overview(engine, parse_window("24h"), now)
    assert row.posts is None
    listed = parse_html(render_overview([row], "last 24 hours", "UTC")).plain
    assert "(@stale): not collected since 27 Feb 12:00 UTC — collection failed: @stale is private" in listed
    digest = parse_html(render_digest(await digest_content(engine, None, now - DAY, now), "UTC")).plain
    assert "not collected since 27 Feb 12:00 UTC; collection failed" in digest
    assert "no new posts" not in digest


async def test_a_change_shorter_than_the_window_says_since_when(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "new", now)
    await add_subscribers(engine, cid, now - 2 * H, 10_000)
    await add_subscribers(engine, cid, now - H, 10_500)
    s = await channel_summary(engine, cid, parse_window("30d"), now, "UTC")
    assert "(+500, +5.0% since 2 Mar 10:00 UTC)" in parse_html(render_summary(s)).plain
    (row,) = await overview(engine, parse_window("30d"), now)
    assert "(+5.0% since 2 Mar 10:00 UTC)" in parse_html(render_overview([row], "x", "UTC")).plain


async def test_posts_per_day_counts_only_the_days_read(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "busy", now, complete=False)
    # 48 posts over the last 8 hours were read; older ones were not yet.
    await add_posts(engine, cid, _posts(now, *[8 / 24 - i / 144 for i in range(48)]))
    for name in ("24h", "7d", "30d"):
        s = await channel_summary(engine, cid, parse_window(name), now, "UTC")
        assert s.current is not None and s.current.posts_per_day == pytest.approx(48 / (8 / 24))
