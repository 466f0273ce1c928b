"""/digest subscription management in a chat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.digest.parse import (
    DigestArgsError,
    DigestList,
    DigestNow,
    DigestOff,
    DigestSubscribe,
    parse_digest_args,
)
from storage.db import read
from storage.digests import DigestRepo
from tests.bot.conftest import ADMIN, Harness
from tests.bot.seed import add_channel
from tests.bot.test_digest_delivery import move_to


def test_digest_arguments_parse_into_requests() -> None:
    assert parse_digest_args("", "UTC") == DigestList()
    assert parse_digest_args("daily 9:05", "Europe/Berlin") == DigestSubscribe(
        "daily", "09:05", "Europe/Berlin"
    )
    weekly = parse_digest_args("weekly Mon 18:30 America/New_York @durov", "UTC")
    assert isinstance(weekly, DigestSubscribe)
    assert (weekly.cadence, weekly.weekday, weekly.at_time, weekly.timezone) == (
        "weekly",
        0,
        "18:30",
        "America/New_York",
    )
    assert [r.username for r in weekly.refs] == ["durov"]
    assert parse_digest_args("weekly sunday 07:00 UTC", "Europe/Berlin").weekday == 6  # type: ignore[union-attr]
    assert parse_digest_args("off", "UTC") == DigestOff()
    assert isinstance(parse_digest_args("now", "UTC"), DigestNow)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("daily", "HH:MM"),
        ("daily 25:00", "not a time"),
        ("daily 9am", "not a time"),
        ("weekly 09:00", "not a day"),
        ("weekly funday 09:00", "not a day"),
        ("daily 09:00 Mars/Olympus", "not a time zone"),
        ("daily 09:00 t.me/+secret", "private invite link"),
        ("hourly 09:00", "unknown digest option"),
    ],
)
def test_malformed_digest_arguments_say_what_is_wrong(args: str, reason: str) -> None:
    with pytest.raises(DigestArgsError, match=reason):
        parse_digest_args(args, "UTC")


async def test_subscribe_list_narrow_and_stop(running: Harness) -> None:
    now = running.clock.now()
    first_id = (await add_channel(running.engine, "first_chan", now)).id
    second_id = (await add_channel(running.engine, "second_chan", now)).id
    assert "No digests in this chat" in (await running.ask_one("/digest")).text

    reply = await running.ask_one("/digest daily 09:00")
    assert "daily at 09:00 (Europe/Berlin) — all tracked channels" in reply.text
    reply = await running.ask_one("/digest weekly fri 17:30 America/New_York @first_chan @second_chan")
    assert "weekly on Friday at 17:30 (America/New_York) — @first_chan, @second_chan" in reply.text

    listing = (await running.ask_one("/digest")).text
    assert listing.count("•") == 2

    reply = await running.ask_one("/digest off @first_chan")
    assert "Removed those channels from 2 digest(s)" in reply.text
    async with read(running.engine) as conn:
        subs = await DigestRepo(conn).list(ADMIN)
    second = (await running.ask_one("/channels")).text  # the channel itself stays tracked
    assert "@first_chan" in second
    assert [(s.channel_ids, s.excluded_ids) for s in subs] == [((), (first_id,)), ((second_id,), ())]

    assert "Stopped 2 digest(s)" in (await running.ask_one("/digest off")).text
    assert "No digests in this chat" in (await running.ask_one("/digest")).text


async def test_digest_mistakes_get_a_reason_and_the_usage(running: Harness) -> None:
    reply = (await running.ask_one("/digest daily 24:61")).text
    assert "not a time" in reply and "Usage: /digest" in reply
    reply = (await running.ask_one("/digest daily 10:00 @never_added")).text
    assert "@never_added is not tracked" in reply


def test_zone_names_are_read_case_insensitively() -> None:
    lower = parse_digest_args("daily 09:00 utc @durov", "Europe/Berlin")
    assert isinstance(lower, DigestSubscribe)
    assert (lower.timezone, [r.username for r in lower.refs]) == ("UTC", ["durov"])
    berlin = parse_digest_args("weekly fri 18:00 europe/berlin", "UTC")
    assert berlin.timezone == "Europe/Berlin"  # type: ignore[union-attr]


async def test_digest_in_lowercase_utc_subscribes(running: Harness) -> None:
    reply = await running.ask_one("/digest daily 09:00 utc")
    assert reply.text.startswith("Subscribed:") and "(UTC)" in reply.text


async def test_turning_one_channel_off_an_all_channels_digest_keeps_later_channels(
    running: Harness,
) -> None:
    now = running.clock.now()
    await add_channel(running.engine, "alpha_news", now, posts=2, subscribers=10)
    await add_channel(running.engine, "noisy_news", now, posts=2, subscribers=10)
    await running.ask_one("/digest daily 09:00")
    reply = await running.ask_one("/digest off @noisy_news")
    assert "Removed those channels from 1 digest(s)" in reply.text
    await add_channel(running.engine, "brand_new", now, posts=2, subscribers=10)
    listing = (await running.ask_one("/digest")).text
    assert "all tracked channels except @noisy_news" in listing

    async with read(running.engine) as conn:
        (sub,) = await DigestRepo(conn).list(ADMIN)
    move_to(running, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    assert await running.digests.send_due(sub.id) == "send"
    digest, chart = await running.server.next_messages(ADMIN, 2)
    assert chart.kind == "photo"
    assert "@brand_new" in digest.text and "@alpha_news" in digest.text
    assert "@noisy_news" not in digest.text

    # Subscribing again at that slot means every channel again.
    assert "— all tracked channels." in (await running.ask_one("/digest daily 09:00")).text
