"""Alerts computed after a collection reach every admin, once per event."""

from __future__ import annotations

import re
from datetime import timedelta

from storage.channels import ChannelRepo
from storage.db import read, write
from storage.runs import RunRepo
from storage.subscribers import SubscriberRepo
from tests.bot.conftest import ADMIN, OTHER_ADMIN, Harness


async def collect_again(running: Harness) -> None:
    """An hour later the scheduler's `collect` job drains the queue again."""
    running.clock.advance(3600)
    runs = len(await recent_runs(running))
    await running.collector.drain()
    assert len(await recent_runs(running)) == runs + 1


async def recent_runs(running: Harness) -> list[object]:
    async with read(running.engine) as conn:
        return list(await RunRepo(conn).recent(limit=100))


async def _collected_after_a_subscriber_jump(running: Harness) -> None:
    """@pulse_news collected once, with a count a day ago far below what the collector sees now."""
    await running.ask_one("/add_channel @pulse_news")
    (done,) = await running.server.next_messages(ADMIN)
    assert done.text.startswith("First collection")
    await running.collector.settled()
    async with write(running.engine) as conn:
        channel = await ChannelRepo(conn).get_by_username("pulse_news")
        assert channel is not None
        day_ago = running.clock.now() - timedelta(hours=25)
        run_id = await RunRepo(conn).start(channel.id, day_ago)
        await SubscriberRepo(conn).add(channel.id, run_id, day_ago, 1000)


async def test_a_subscriber_jump_alerts_every_admin_once(running: Harness) -> None:
    running.server.open_chat(OTHER_ADMIN, "Grace")
    await _collected_after_a_subscriber_jump(running)

    await collect_again(running)
    for admin in (ADMIN, OTHER_ADMIN):
        (alert,) = await running.server.next_messages(admin)
        assert alert.text.startswith("⚠️ Pulse News: subscribers 1,000 →")
        assert re.search(r"in 2\d h$", alert.text)  # the span the change was measured over

    await collect_again(running)
    assert await running.said_since(ADMIN) == []
    assert await running.said_since(OTHER_ADMIN) == []


async def test_a_failed_channel_is_told_to_its_adder_once_and_to_other_admins_as_an_alert(
    running: Harness,
) -> None:
    running.server.open_chat(OTHER_ADMIN, "Grace")
    await running.ask_one("/add_channel @pulse_private")
    (failed,) = await running.server.next_messages(ADMIN)
    assert failed.text.startswith("Could not collect @pulse_private:")
    (alert,) = await running.server.next_messages(OTHER_ADMIN)
    assert alert.text.startswith("⚠️ Pulse Insiders became private: @pulse_private is private")
    assert await running.said_since(ADMIN) == []


async def test_an_alert_no_admin_received_is_sent_after_the_next_collection(running: Harness) -> None:
    await _collected_after_a_subscriber_jump(running)  # the second admin never opened the bot

    running.server.block(ADMIN)  # so no admin can be told
    await collect_again(running)
    running.server.blocked.discard(ADMIN)
    await collect_again(running)
    (alert,) = await running.server.next_messages(ADMIN)
    assert alert.text.startswith("⚠️ Pulse News: subscribers 1,000 →")
    await collect_again(running)
    assert await running.said_since(ADMIN) == []  # and then never again
