"""A digest too long for one message: a part that fails is sent again, never the parts before it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.exceptions import TelegramAPIError

from bot.digest.jobs import Digests
from storage.db import read
from storage.deliveries import DeliveryRepo
from tests.bot.conftest import ADMIN, Harness
from tests.bot.seed import add_channel
from tests.bot.test_digest_delivery import move_to, subscribed


async def long_digest_due(running: Harness, channels: int = 60) -> int:
    """A daily subscription over enough channels for a digest of three messages, its slot due now."""
    now = running.clock.now()
    for n in range(channels):
        title = f"Channel number {n}"
        await add_channel(running.engine, f"channel_{n:02d}", now, title=title, posts=2, subscribers=1000)
    sub_id = await subscribed(running, "/digest daily 09:00")
    move_to(running, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    return sub_id


def second_part_fails_once(running: Harness) -> None:
    # retry_after 0 is no usable wait: aiogram raises a plain API error, as when the Bot API is down.
    running.server.inject_retry_after(0, method="sendMessage", chat_id=ADMIN, after=1)


async def test_a_failed_second_part_is_sent_again_without_the_first(running: Harness) -> None:
    sub_id = await long_digest_due(running)
    second_part_fails_once(running)
    with pytest.raises(TelegramAPIError):
        await running.digests.send_due(sub_id)
    (first,) = await running.said_since(ADMIN)
    assert first.text.startswith("Digest since 2 Mar 09:00 CET")
    async with read(running.engine) as conn:
        pending = await DeliveryRepo(conn).get(sub_id)
    assert pending is not None and len(pending.parts) == 3 and pending.parts_sent == 1

    running.clock.advance(600)  # the sweep, ten minutes later, in a restarted process
    restarted = Digests(running.engine, running.digests.bot, running.digests.settings, running.clock)
    assert await restarted.send_due(sub_id) == "send"
    rest = await running.said_since(ADMIN)
    assert [m.kind for m in rest] == ["text", "text", "photo"]
    texts = [first.text] + [m.text for m in rest[:2]]
    assert [m.html for m in [first, *rest[:2]]] == list(pending.parts)  # each part once, in order
    assert sum(t.startswith("Digest since") for t in texts) == 1
    assert "@channel_00" in texts[0] and "@channel_59" in texts[2]

    assert await running.digests.send_due(sub_id) == "wait"  # the slot is sent, the record gone
    async with read(running.engine) as conn:
        assert await DeliveryRepo(conn).get(sub_id) is None
    assert await running.said_since(ADMIN) == []


async def test_an_unfinished_digest_of_an_older_slot_is_not_sent_with_the_next(running: Harness) -> None:
    sub_id = await long_digest_due(running)
    second_part_fails_once(running)
    with pytest.raises(TelegramAPIError):
        await running.digests.send_due(sub_id)
    await running.said_since(ADMIN)
    await add_channel(running.engine, "late_arrival", running.clock.now(), posts=2, subscribers=5)
    move_to(running, datetime(2026, 3, 4, 8, 0, tzinfo=UTC))  # the next day's slot
    assert await running.digests.send_due(sub_id) == "send"
    fresh = await running.said_since(ADMIN)
    texts = [m.text for m in fresh if m.kind == "text"]
    assert texts[0].startswith("Digest since 2 Mar 09:00 CET")  # a whole digest, built anew
    assert any("@late_arrival" in t for t in texts)
