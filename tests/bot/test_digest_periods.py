"""Digest periods: every post that was read is in exactly one scheduled digest of a subscription."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.exceptions import TelegramAPIError

from storage.channels import ChannelRepo
from storage.db import read, write
from storage.deliveries import DeliveryRepo
from storage.digests import DigestRepo
from storage.models import RunResult
from storage.runs import RunRepo
from storage.tables import digest_subscriptions
from tests.analytics.conftest import P, add_posts
from tests.bot.conftest import ADMIN, Harness
from tests.bot.seed import add_channel
from tests.bot.test_digest_delivery import move_to, subscribed
from tests.bot.test_digest_parts import long_digest_due, second_part_fails_once

SLOT = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, the subscription's time
DAY = timedelta(days=1)


async def collected(running: Harness, channel_id: int, at: datetime, *posts: P) -> None:
    """A run of the channel starting at `at` (as the hourly collect job's) that read `posts` and,
    after its pacing, ended a minute later."""
    await add_posts(running.engine, channel_id, posts)
    async with write(running.engine) as conn:
        runs = RunRepo(conn)
        run_id = await runs.start(channel_id, at)
        await ChannelRepo(conn).update(channel_id, last_collected_at=at + timedelta(minutes=1))
        await runs.finish(run_id, RunResult(fetched=len(posts), new=len(posts)), at + timedelta(minutes=1))


async def digest_at(running: Harness, sub_id: int, moment: datetime) -> str:
    move_to(running, moment)
    assert await running.digests.send_due(sub_id) == "send"
    return "\n".join(m.text for m in await running.said_since(ADMIN) if m.kind == "text")


async def alpha(running: Harness) -> int:
    now = running.clock.now()  # 2 Mar 12:00 UTC
    return (await add_channel(running.engine, "alpha_news", now, posts=0, subscribers=1500)).id


async def test_a_post_published_just_before_the_slot_but_read_after_it_is_in_the_next_digest(
    running: Harness,
) -> None:
    cid = await alpha(running)
    sub_id = await subscribed(running, "/digest daily 09:00")
    await collected(running, cid, SLOT - timedelta(minutes=40))  # hourly: 07:20 UTC, then 08:20
    first = await digest_at(running, sub_id, SLOT)
    assert first.startswith("Digest since 2 Mar 09:00 CET until 3 Mar 08:20 CET")
    # Published 08:50 Berlin, ten minutes before the slot; read by the 08:20 UTC collection.
    just_before = P(1, "2026-03-03 07:50", 4000, text="ten to nine")
    await collected(running, cid, SLOT + timedelta(minutes=20), just_before)
    await collected(running, cid, SLOT + DAY - timedelta(minutes=40))
    second = await digest_at(running, sub_id, SLOT + DAY)
    assert "ten to nine" not in first
    assert second.startswith("Digest since 3 Mar 08:20 CET")
    assert "1 posts, 4K views" in second and "ten to nine" in second


async def test_a_late_digest_and_the_next_one_never_share_a_post(running: Harness) -> None:
    cid = await alpha(running)
    sub_id = await subscribed(running, "/digest daily 09:00")
    # Sent 5 h late (within the grace): a post of 11:00 Berlin, read at 13:40, is in it...
    late = SLOT + timedelta(hours=5)
    in_late = P(1, "2026-03-03 10:00", 700, text="late window post")
    await collected(running, cid, late - timedelta(minutes=20), in_late)
    assert "late window post" in await digest_at(running, sub_id, late)
    # ...and not again in the next day's digest, which starts where the late one stopped.
    evening = P(2, "2026-03-03 20:00", 90, text="evening")
    await collected(running, cid, SLOT + DAY - timedelta(minutes=20), evening)
    following = await digest_at(running, sub_id, SLOT + DAY)
    assert following.startswith("Digest since 3 Mar 13:40 CET")
    assert "late window post" not in following and "1 posts, 90 views" in following


async def test_a_skipped_slot_leaves_its_posts_to_the_next_digest_sent(running: Harness) -> None:
    cid = await alpha(running)
    sub_id = await subscribed(running, "/digest daily 09:00")
    await collected(running, cid, SLOT - timedelta(minutes=20))
    await digest_at(running, sub_id, SLOT)
    missed = P(1, "2026-03-03 20:00", 9000, text="missed post")
    await collected(running, cid, SLOT + timedelta(hours=13), missed)
    move_to(running, SLOT + DAY + timedelta(hours=7))  # the process was down past the grace
    assert await running.digests.send_due(sub_id) == "skip"
    await collected(running, cid, SLOT + 2 * DAY - timedelta(minutes=20))
    after = await digest_at(running, sub_id, SLOT + 2 * DAY)
    assert after.startswith("Digest since 3 Mar 08:40 CET")
    assert "missed post" in after and "1 posts, 9K views" in after


async def test_digest_now_leaves_the_scheduled_period_alone(running: Harness) -> None:
    cid = await alpha(running)
    sub_id = await subscribed(running, "/digest daily 09:00")
    await collected(running, cid, SLOT - timedelta(hours=2), P(1, "2026-03-03 05:00", 300, text="early news"))
    move_to(running, SLOT - timedelta(hours=1))
    now = await running.ask_one("/digest now")
    assert now.text.startswith("Digest since 2 Mar 09:00 CET") and "early news" in now.text
    assert "early news" in await digest_at(running, sub_id, SLOT)
    assert "early news" not in (await running.ask_one("/digest now")).text  # since the scheduled one


async def test_paused_failed_and_never_collected_channels_do_not_hold_the_others_back(
    running: Harness,
) -> None:
    now = running.clock.now()
    cid = await alpha(running)
    await add_channel(running.engine, "paused_one", now, status="paused")
    await add_channel(running.engine, "failed_one", now, status="failed", reason="private")
    await add_channel(running.engine, "never_read", now, status="queued")
    # Active, but not read since 2 Mar 11:30: a day behind the others.
    stuck = (await add_channel(running.engine, "stuck_one", now)).id
    sub_id = await subscribed(running, "/digest daily 09:00")
    await collected(running, cid, SLOT - timedelta(minutes=20), P(1, "2026-03-03 06:00", 500, text="morning"))
    first = await digest_at(running, sub_id, SLOT)
    assert first.startswith("Digest since 2 Mar 09:00 CET until 3 Mar 08:40 CET")
    assert "morning" in first and "@paused_one" in first and "@never_read" in first
    # The lagging channel, once read again, no longer holds the period back either.
    await collected(running, stuck, SLOT + DAY - timedelta(minutes=50))
    await collected(running, cid, SLOT + DAY - timedelta(minutes=20))
    second = await digest_at(running, sub_id, SLOT + DAY)
    assert second.startswith("Digest since 3 Mar 08:40 CET until 4 Mar 08:10 CET")
    assert "morning" not in second


async def test_a_digest_resumed_after_a_failed_part_closes_the_period_it_was_built_for(
    running: Harness,
) -> None:
    sub_id = await long_digest_due(running)  # 60 channels collected 2 Mar 11:30 UTC, slot 3 Mar 08:00
    second_part_fails_once(running)
    with pytest.raises(TelegramAPIError):
        await running.digests.send_due(sub_id)
    async with read(running.engine) as conn:
        pending = await DeliveryRepo(conn).get(sub_id)
    assert pending is not None and pending.covered_until == datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    async with write(running.engine) as conn:  # every channel read again before the resume
        repo = ChannelRepo(conn)
        for channel in await repo.list_all():
            await repo.update(channel.id, last_collected_at=SLOT + timedelta(minutes=5))
    running.clock.advance(600)
    assert await running.digests.send_due(sub_id) == "send"
    async with read(running.engine) as conn:
        sub = await DigestRepo(conn).get(sub_id)
    assert sub is not None and sub.covered_until == pending.covered_until


async def test_a_skip_of_a_subscription_that_never_stored_its_period_keeps_the_skipped_posts(
    running: Harness,
) -> None:
    cid = await alpha(running)
    sub_id = await subscribed(running, "/digest daily 09:00")
    async with write(running.engine) as conn:  # as a subscription from before periods were stored
        await conn.execute(
            digest_subscriptions.update().values(last_slot_sent=None, covered_until=None)
        )
    missed = P(1, "2026-03-02 20:00", 9000, text="missed post")
    await collected(running, cid, SLOT - timedelta(minutes=20), missed)
    move_to(running, SLOT + timedelta(hours=7))
    assert await running.digests.send_due(sub_id) == "skip"
    await collected(running, cid, SLOT + DAY - timedelta(minutes=20))
    after = await digest_at(running, sub_id, SLOT + DAY)
    assert after.startswith("Digest since 2 Mar 09:00 CET") and "missed post" in after
