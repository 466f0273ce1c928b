"""Windows that reach before the oldest stored post were never read: unknown, never "0 posts"."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary, digest_content, overview
from analytics.windows import parse_window
from bot.render_digest import render_digest
from sandbox.botapi_html import parse_html
from storage.channels import ChannelRepo
from storage.db import write
from tests.analytics.conftest import COLLECTED, P, add_channel, add_posts

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
