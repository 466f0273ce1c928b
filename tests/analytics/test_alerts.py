"""Each alert rule fires once per event and never again on the next collection."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.alerts import evaluate_alerts
from storage.channels import ChannelRepo
from storage.db import write
from tests.analytics.conftest import P, add_channel, add_posts, add_run, add_snapshot, add_subscribers

H = timedelta(hours=1)


async def test_subscriber_jump_fires_once_per_event(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "jump", now)
    await add_subscribers(engine, cid, now - 25 * H, 1000)
    await add_subscribers(engine, cid, now, 1100)  # +10 % in 24 h
    first = await evaluate_alerts(engine, cid, now, 5.0)
    assert [a.kind for a in first] == ["subscribers"]
    assert "1,000 → 1,100 (+10.0 %) in 25 h" in first[0].text
    assert await evaluate_alerts(engine, cid, now, 5.0) == []
    # The next collection still sees +11 % against the same base: the same event, no new alert.
    await add_subscribers(engine, cid, now + H, 1110)
    assert await evaluate_alerts(engine, cid, now + H, 5.0) == []
    # A day later the count is steady (+0.9 %): nothing.
    await add_subscribers(engine, cid, now + 30 * H, 1110)
    assert await evaluate_alerts(engine, cid, now + 30 * H, 5.0) == []
    # A new drop is a new event.
    await add_subscribers(engine, cid, now + 50 * H, 1000)
    later = await evaluate_alerts(engine, cid, now + 50 * H, 5.0)
    assert [a.kind for a in later] == ["subscribers"] and "-9.9 %" in later[0].text


async def test_growth_over_a_gap_in_collection_is_not_a_24_hour_jump(
    engine: AsyncEngine, now: datetime
) -> None:
    cid = await add_channel(engine, "gap", now)
    await add_subscribers(engine, cid, now - 6 * 24 * H, 10_000)  # then six days without collection
    await add_subscribers(engine, cid, now, 10_615)  # +1 % a day
    assert await evaluate_alerts(engine, cid, now, 5.0) == []
    # A real jump within the day after the gap still fires, with its own span.
    await add_subscribers(engine, cid, now + 20 * H, 11_300)
    (alert,) = await evaluate_alerts(engine, cid, now + 20 * H, 5.0)
    assert "10,615 → 11,300 (+6.5 %) in 20 h" in alert.text


async def test_small_change_or_unknown_counts_do_not_fire(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "calm", now)
    await add_subscribers(engine, cid, now - 25 * H, 1000)
    await add_subscribers(engine, cid, now - H, None)
    await add_subscribers(engine, cid, now, 1040)
    assert await evaluate_alerts(engine, cid, now, 5.0) == []
    assert [a.kind for a in await evaluate_alerts(engine, cid, now, 3.0)] == ["subscribers"]


async def _posts_at_age(
    engine: AsyncEngine, cid: int, now: datetime, views: list[int], first_mid: int
) -> None:
    """One post a day, newest first, each with one snapshot at 10 h of age."""
    items = []
    for i, v in enumerate(views):
        date = now - (10 + 24 * i) * H
        items.append(P(first_mid + i, date.strftime("%Y-%m-%d %H:%M"), v))
    await add_posts(engine, cid, tuple(items))
    for i, v in enumerate(views):
        date = now - (10 + 24 * i) * H
        await add_snapshot(engine, cid, first_mid + i, date + 10 * H, v)


async def test_viral_post_fires_once(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "viral", now)
    # Six earlier posts had 100 views at 10 h; the newest has 400 at 10 h (> 3 × 100).
    await _posts_at_age(engine, cid, now, [400, 100, 100, 100, 90, 110, 100], first_mid=1)
    first = await evaluate_alerts(engine, cid, now, 5.0)
    assert [(a.kind, a.key) for a in first] == [("viral", f"viral:{cid}:1")]
    assert "https://t.me/viral/1" in first[0].text and "4.0×" in first[0].text
    assert await evaluate_alerts(engine, cid, now + H, 5.0) == []


async def test_three_times_is_not_viral_and_few_references_never_are(
    engine: AsyncEngine, now: datetime
) -> None:
    cid = await add_channel(engine, "steady", now)
    await _posts_at_age(engine, cid, now, [300, 100, 100, 100, 100, 100], first_mid=1)
    assert await evaluate_alerts(engine, cid, now, 5.0) == []
    young = await add_channel(engine, "young", now)
    await _posts_at_age(engine, young, now, [5000, 100, 100], first_mid=1)
    assert await evaluate_alerts(engine, young, now, 5.0) == []


async def test_failure_fires_once_and_again_after_recovery(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "gone", now)
    await add_run(engine, cid, now - 2 * H)
    await add_run(engine, cid, now - H, error="ChannelPrivateError")
    async with write(engine) as conn:
        await ChannelRepo(conn).set_status(cid, "failed", "the channel is private now", "private")
    first = await evaluate_alerts(engine, cid, now, 5.0)
    assert [a.kind for a in first] == ["channel"] and "became private" in first[0].text
    await add_run(engine, cid, now, error="ChannelPrivateError")
    assert await evaluate_alerts(engine, cid, now, 5.0) == []
    async with write(engine) as conn:
        await ChannelRepo(conn).set_status(cid, "active")
    await add_run(engine, cid, now + H)
    assert await evaluate_alerts(engine, cid, now + H, 5.0) == []
    await add_run(engine, cid, now + 2 * H, error="no channel is called @gone")
    async with write(engine) as conn:
        await ChannelRepo(conn).set_status(cid, "failed", "no channel is called @gone", "not_found")
    again = await evaluate_alerts(engine, cid, now + 2 * H, 5.0)
    assert [a.kind for a in again] == ["channel"] and "was not found" in again[0].text


async def test_passing_errors_of_a_channel_still_collected_raise_no_alert(
    engine: AsyncEngine, now: datetime
) -> None:
    cid = await add_channel(engine, "wobbly", now)
    await add_run(engine, cid, now - H, error="disconnected from Telegram: connection lost")
    await add_run(engine, cid, now, error="cancelled mid-run; stored posts are kept")
    assert await evaluate_alerts(engine, cid, now, 5.0) == []
    # ...and when the channel then really goes private, that is still told.
    async with write(engine) as conn:
        await ChannelRepo(conn).set_status(cid, "failed", "@wobbly is private", "private")
    await add_run(engine, cid, now + H, error="@wobbly is private")
    assert [a.text for a in await evaluate_alerts(engine, cid, now + H, 5.0)] == [
        "Wobbly became private: @wobbly is private"
    ]


async def test_a_post_older_than_a_week_is_only_a_reference(engine: AsyncEngine, now: datetime) -> None:
    cid = await add_channel(engine, "settled", now)
    # The 400-view post was published 10 days ago: by now it is news no more.
    await _posts_at_age(engine, cid, now, [100] * 10 + [400], first_mid=1)
    assert await evaluate_alerts(engine, cid, now, 5.0) == []


@pytest.mark.parametrize(
    ("kind", "reason", "said"),
    [
        ("not_found", "no channel is called @typo_chanel (the username is not taken)", "was not found"),
        ("private", "channel 1 is private or this account is banned from it", "became private"),
        ("banned", "channel 1 is not available to this account", "is not available to this account"),
        ("not_channel", "@someone is a person's or bot's account, not a channel", "is not a channel"),
        (None, "the username was renamed away", "failed"),  # failed before kinds were stored
    ],
)
async def test_a_failure_is_told_by_what_happened_not_by_words_in_the_reason(
    engine: AsyncEngine, now: datetime, kind: str | None, reason: str, said: str
) -> None:
    cid = await add_channel(engine, "typo_chanel", None)
    await add_run(engine, cid, now - H, error=reason)
    async with write(engine) as conn:
        await ChannelRepo(conn).set_status(cid, "failed", reason, kind)
    (alert,) = await evaluate_alerts(engine, cid, now, 5.0)
    assert alert.text == f"@typo_chanel {said}: {reason}"
    assert "renamed" not in alert.text.split(":")[0]
