"""Scheduled digests: a slot is sent once at its time, late within the grace, skipped beyond it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.digest.jobs import CATCH_UP_JOB, Digests, job_id, schedule_digests
from storage.db import read, write
from storage.digests import DigestRepo
from tests.bot.conftest import ADMIN, OTHER_ADMIN, Harness
from tests.bot.seed import add_channel

GROUP = -100777


async def subscribed(running: Harness, text: str, user: int = ADMIN) -> int:
    """Subscribe in `user`'s private chat (the only chat digests go to)."""
    reply = await running.ask_one(text, user=user)
    assert reply.text.startswith("Subscribed:")
    async with read(running.engine) as conn:
        return (await DigestRepo(conn).list(user))[-1].id


def move_to(running: Harness, moment: datetime) -> None:
    running.clock.advance((moment - running.clock.now()).total_seconds())


async def test_a_daily_digest_is_sent_once_at_its_slot(running: Harness) -> None:
    now = running.clock.now()  # 2 Mar 2026 12:00 UTC = 13:00 in Berlin
    await add_channel(running.engine, "alpha_news", now, title="Alpha <News>", posts=6, subscribers=1500)
    sub_id = await subscribed(running, "/digest daily 09:00")
    assert "Next digest: 3 Mar 09:00 CET" in running.server.messages(ADMIN)[-1].text

    assert await running.digests.send_due(sub_id) == "wait"  # nothing due right after subscribing
    move_to(running, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    assert await running.digests.send_due(sub_id) == "send"
    (digest,) = await running.server.next_messages(ADMIN)
    assert digest.text.startswith("Digest since 2 Mar 09:00 CET until 2 Mar 12:30 CET")
    assert "Alpha <News> (@alpha_news)" in digest.text and "1.5K subscribers" in digest.text

    assert await running.digests.send_due(sub_id) == "wait"  # never twice: not by the sweep,
    restarted = Digests(running.engine, running.digests.bot, running.digests.settings, running.clock)
    assert await restarted.send_due(sub_id) == "wait"  # nor by a restarted process
    move_to(running, datetime(2026, 3, 4, 8, 0, tzinfo=UTC) + timedelta(hours=5))  # late, within 6 h
    assert await running.digests.send_due(sub_id) == "send"
    late = (await running.server.next_messages(ADMIN))[0]
    # Where the first one stopped: the channel was last read at 12:30 Berlin on 2 Mar.
    assert late.text.startswith("Digest since 2 Mar 12:30 CET (no posts read since then)")
    move_to(running, datetime(2026, 3, 5, 8, 0, tzinfo=UTC) + timedelta(hours=7))  # beyond the grace
    assert await running.digests.send_due(sub_id) == "skip"
    assert await running.said_since(ADMIN) == []


async def test_digest_now_covers_several_channels_with_a_chart(running: Harness) -> None:
    now = running.clock.now()
    await add_channel(running.engine, "alpha_news", now, posts=3, subscribers=100)
    await add_channel(running.engine, "beta_news", now, posts=5, subscribers=200)
    messages = await running.ask("/digest now", count=2)
    assert messages[0].text.startswith("Digest since 1 Mar 13:00 CET")  # the last 24 hours
    assert "@alpha_news" in messages[0].text and "@beta_news" in messages[0].text
    assert messages[1].kind == "photo" and messages[1].data.startswith(b"\x89PNG")
    only = await running.ask_one("/digest now @beta_news")
    assert "@beta_news" in only.text and "@alpha_news" not in only.text


async def test_jobs_are_rebuilt_from_the_database_with_stable_ids(running: Harness) -> None:
    first = await subscribed(running, "/digest daily 07:30")
    second = await subscribed(running, "/digest weekly sun 18:00 America/New_York")
    scheduler = AsyncIOScheduler()  # a restarted process: a fresh scheduler, the same database
    digests = await schedule_digests(
        scheduler, running.engine, running.digests.bot, running.digests.settings, running.clock
    )
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == sorted([job_id(first), job_id(second), CATCH_UP_JOB])
    weekly = scheduler.get_job(job_id(second))
    assert isinstance(weekly.trigger, CronTrigger) and str(weekly.trigger.timezone) == "America/New_York"
    assert "day_of_week='6'" in str(weekly.trigger) and "hour='18'" in str(weekly.trigger)
    assert weekly.misfire_grace_time == 6 * 3600 and weekly.max_instances == 1
    digests.unschedule([first])
    assert scheduler.get_job(job_id(first)) is None


async def test_a_chat_that_blocked_the_bot_has_its_digests_paused_and_admins_told_once(
    running: Harness,
) -> None:
    running.server.open_chat(OTHER_ADMIN, "Grace")
    sub_id = await subscribed(running, "/digest daily 09:00", user=OTHER_ADMIN)
    other_id = await subscribed(running, "/digest daily 09:00 UTC", user=OTHER_ADMIN)
    running.server.block(OTHER_ADMIN)
    move_to(running, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # both slots due (Berlin's an hour late)
    # Both cron jobs fire together and both find the chat blocked: one notice, not two.
    results = await asyncio.gather(running.digests.send_due(sub_id), running.digests.send_due(other_id))
    assert results == ["wait", "wait"]  # not sent, so not marked sent
    (notice,) = await running.server.next_messages(ADMIN)  # the other admins are told
    assert f"Digests to chat {OTHER_ADMIN} are paused" in notice.text and "blocked" in notice.text
    async with read(running.engine) as conn:
        assert all(s.paused for s in await DigestRepo(conn).list(OTHER_ADMIN))
    assert await running.digests.send_due(sub_id) == "wait"
    await running.digests.catch_up()
    assert not await running.digests.send_now(OTHER_ADMIN, None, running.clock.now() - timedelta(days=1))
    assert await running.said_since(ADMIN) == []  # told once


async def test_a_digest_subscribed_in_a_group_before_the_private_rule_is_paused_not_sent(
    running: Harness,
) -> None:
    now = running.clock.now()
    await add_channel(running.engine, "alpha_news", now, posts=3, subscribers=10)
    running.server.open_chat(ADMIN, chat_id=GROUP, chat_type="group", title="Team")
    running.server.open_chat(OTHER_ADMIN, "Grace")
    async with write(running.engine) as conn:  # as /digest in a group stored it before
        stored = await DigestRepo(conn).subscribe(GROUP, "daily", "09:00", "Europe/Berlin", [], now)
    move_to(running, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))  # its slot is due
    await running.digests.catch_up()
    for admin in (ADMIN, OTHER_ADMIN):
        (notice,) = await running.server.next_messages(admin)
        assert f"Digests to chat {GROUP} are paused" in notice.text and "private chat" in notice.text
    async with read(running.engine) as conn:
        assert all(s.paused for s in await DigestRepo(conn).list(GROUP))
    assert await running.digests.send_due(stored.id) == "wait"
    await running.digests.catch_up()
    assert not await running.digests.send_now(GROUP, None, running.clock.now() - timedelta(days=1))
    assert running.server.messages(GROUP) == []  # the group never saw a digest
    for admin in (ADMIN, OTHER_ADMIN):
        assert await running.said_since(admin) == []  # told once


async def test_rate_limits_are_obeyed_not_guessed(running: Harness) -> None:
    running.server.inject_retry_after(1, method="sendMessage", chat_id=ADMIN)
    started = time.perf_counter()
    reply = await running.ask_one("/help")
    assert "Commands" in reply.text
    assert time.perf_counter() - started >= 1.0  # it waited the retry_after Telegram asked for


async def test_resubscribing_replaces_rather_than_duplicates(running: Harness) -> None:
    await subscribed(running, "/digest daily 09:00")
    await subscribed(running, "/digest daily 09:00")
    async with write(running.engine) as conn:
        assert len(await DigestRepo(conn).list(ADMIN)) == 1


async def test_subscribing_and_stopping_in_chat_add_and_remove_the_job(running: Harness) -> None:
    running.digests.scheduler = AsyncIOScheduler()  # as in the running app
    sub_id = await subscribed(running, "/digest weekly mon 08:15")
    job = running.digests.scheduler.get_job(job_id(sub_id))
    assert job is not None and "minute='15'" in str(job.trigger) and "day_of_week='0'" in str(job.trigger)
    assert "Stopped 1 digest(s)" in (await running.ask_one("/digest off")).text
    assert running.digests.scheduler.get_job(job_id(sub_id)) is None


async def test_a_digest_whose_chart_fails_is_not_sent_again(running: Harness) -> None:
    now = running.clock.now()
    await add_channel(running.engine, "alpha_news", now, posts=3, subscribers=10)
    await add_channel(running.engine, "beta_news", now, posts=3, subscribers=10)
    sub_id = await subscribed(running, "/digest daily 09:00")
    move_to(running, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    # retry_after 0 is no usable wait: aiogram raises a plain API error, as for any failed photo.
    running.server.inject_retry_after(0, method="sendPhoto", times=10)
    assert await running.digests.send_due(sub_id) == "send"  # the text went out: the slot is sent
    assert await running.digests.send_due(sub_id) == "wait"  # and the sweep does not send it again
    digests = [m for m in running.server.messages(ADMIN) if m.text.startswith("Digest since")]
    assert len(digests) == 1


async def test_one_failing_subscription_does_not_stop_the_sweep(running: Harness) -> None:
    await add_channel(running.engine, "alpha_news", running.clock.now(), posts=3, subscribers=10)
    first = await subscribed(running, "/digest daily 09:00")
    running.server.open_chat(OTHER_ADMIN, "Grace")
    second = await subscribed(running, "/digest daily 09:00", user=OTHER_ADMIN)
    assert first < second  # the sweep meets the failing one first
    move_to(running, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    running.server.inject_retry_after(0, method="sendMessage", chat_id=ADMIN)  # a plain API error
    await running.digests.catch_up()
    (digest,) = await running.server.next_messages(OTHER_ADMIN)
    assert digest.text.startswith("Digest since 2 Mar 09:00 CET")
    await running.digests.catch_up()  # the failed one is still due, and goes out on the next sweep
    assert any(m.text.startswith("Digest since") for m in await running.server.next_messages(ADMIN))
