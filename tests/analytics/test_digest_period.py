"""Where a scheduled digest's period may end: up to where the covered channels' posts were read."""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.digest import LAGGING, digest_content, read_up_to
from storage.channels import ChannelRepo
from storage.db import write
from storage.models import Channel
from tests.analytics.conftest import P, add_channel, add_posts, add_run, t

SINCE, NOW = t("2026-03-02 09:00"), t("2026-03-03 09:00")


def ch(cid: int, collected: datetime | None, status: str = "active") -> Channel:
    return Channel(cid, f"@c{cid}", f"c{cid}", status, t("2026-01-01 00:00"), last_collected_at=collected)


def test_the_period_ends_at_the_oldest_last_collection_of_the_channels_being_read() -> None:
    channels = [
        ch(1, t("2026-03-03 08:20")), ch(2, t("2026-03-03 07:55")), ch(3, t("2026-03-03 08:50"), "queued"),
    ]
    assert read_up_to(channels, SINCE, NOW) == t("2026-03-03 07:55")


def test_paused_failed_never_read_and_lagging_channels_do_not_hold_the_others_back() -> None:
    channels = [
        ch(1, t("2026-03-03 08:20")),
        ch(2, t("2026-03-02 10:00"), "paused"),
        ch(3, t("2026-03-02 11:00"), "failed"),
        ch(4, None, "queued"),
        ch(5, t("2026-03-03 08:20") - LAGGING - timedelta(minutes=1)),  # stuck, a lag behind
    ]
    assert read_up_to(channels, SINCE, NOW) == t("2026-03-03 08:20")
    # Within the lag it is waited for: its next collection may still read posts of the period.
    channels[4] = ch(5, t("2026-03-03 08:20") - LAGGING + timedelta(minutes=1))
    assert read_up_to(channels, SINCE, NOW) == channels[4].last_collected_at


def test_the_period_never_moves_back_nor_past_now() -> None:
    assert read_up_to([ch(1, t("2026-03-01 09:00"))], SINCE, NOW) == SINCE
    assert read_up_to([ch(1, t("2026-03-03 09:30"))], SINCE, NOW) == NOW
    assert read_up_to([ch(1, None, "queued")], SINCE, NOW) == SINCE  # nothing read: stays open
    # Only paused ones: as far as any of them was read, since nothing more is coming.
    paused = [ch(1, t("2026-03-02 20:00"), "paused"), ch(2, t("2026-03-02 22:00"), "paused")]
    assert read_up_to(paused, SINCE, NOW) == t("2026-03-02 22:00")


async def test_a_post_read_after_the_slot_falls_into_the_next_period_not_between_two(engine) -> None:
    cid = await add_channel(engine, "news", t("2026-03-03 08:20"))  # hourly: 08:20, then 09:20
    await add_posts(engine, cid, (P(1, "2026-03-03 07:00", 500),))
    first = await digest_content(engine, [cid], SINCE, NOW, up_to_read=True)
    assert first.until == t("2026-03-03 08:20") and first.channels[0].posts == 1
    await add_posts(engine, cid, (P(2, "2026-03-03 08:50", 4000),))  # read by the 09:20 collection
    async with write(engine) as conn:
        await ChannelRepo(conn).update(cid, last_collected_at=t("2026-03-04 08:20"))
    second = await digest_content(engine, [cid], first.end, t("2026-03-04 09:00"), up_to_read=True)
    assert second.channels[0].posts == 1 and second.channels[0].views == 4000
    # `/digest now` (no `up_to_read`) runs to now, and says no `until`.
    assert (await digest_content(engine, [cid], SINCE, NOW)).until is None


async def test_a_post_published_while_a_run_paced_is_left_to_the_next_digest(engine) -> None:
    # The run asked for history at its start, 08:20, and was done pacing at 08:22.
    cid = await add_channel(engine, "news", t("2026-03-03 08:22"))
    await add_run(engine, cid, t("2026-03-03 08:20"))
    await add_run(engine, cid, t("2026-03-03 08:40"), error="disconnected from Telegram")
    content = await digest_content(engine, [cid], SINCE, NOW, up_to_read=True)
    assert content.until == t("2026-03-03 08:20")  # a post of 08:21 is read by the next run
