"""A channel renamed on Telegram is followed by id: the new name is stored and told once; failures
are told by what happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary
from analytics.windows import parse_window
from clock import VirtualClock
from storage.alerts import AlertRepo
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.models import Alert, Channel
from storage.posts import PostRepo
from tests.collector.helpers import build

HOUR = 3600


async def _channels(engine: AsyncEngine) -> dict[str, Channel]:
    async with read(engine) as conn:
        return {c.username: c for c in await ChannelRepo(conn).list_all()}


async def _alerts(engine: AsyncEngine) -> list[Alert]:
    async with read(engine) as conn:
        return await AlertRepo(conn).undelivered()


async def test_a_rename_is_followed_stored_and_told_once(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()
    source.rename("pulse_news", "pulse_daily")
    for _ in range(3):
        clock.advance(HOUR)
        await collector.drain()
    channel = (await _channels(engine))["pulse_daily"]
    assert channel.status == "active" and channel.resolve_count == 1  # followed by id, not resolved
    assert channel.last_collected_at == clock.now()
    (alert,) = await _alerts(engine)
    assert alert.kind == "renamed" and "@pulse_news → @pulse_daily" in alert.text
    async with read(engine) as conn:
        newest = max(p.message_id for p in await PostRepo(conn).list(channel.id))
    assert newest == channel.newest_message_id and newest > 50  # new posts still come in
    summary = await channel_summary(engine, channel.id, parse_window("24h"), clock.now(), "UTC")
    assert summary.top_by_views[0].link.startswith("https://t.me/pulse_daily/")
    # The new name is the channel's, so adding it again is "already tracked", not a second row.
    (outcome,) = await collector.enqueue(["@pulse_daily"], added_by=1)
    assert outcome.kind == "already"


async def test_a_row_added_under_the_new_name_gives_way(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()
    source.rename("pulse_news", "pulse_daily")
    clock.advance(HOUR)
    # Someone adds the new name before the rename is noticed: it resolves to the tracked channel.
    await collector.enqueue(["@pulse_daily"], added_by=2)
    await collector.drain()
    channels = await _channels(engine)
    assert list(channels) == ["pulse_daily"]
    assert channels["pulse_daily"].tg_id is not None and channels["pulse_daily"].status == "active"
    assert [a.kind for a in await _alerts(engine)] == ["renamed"]


async def test_two_channels_swapping_names_each_get_their_own(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    await collector.drain()
    ids = {name: c.tg_id for name, c in (await _channels(engine)).items()}
    source.rename("pulse_news", "swap_tmp")
    source.rename("pulse_tech", "pulse_news")
    source.rename("swap_tmp", "pulse_tech")
    clock.advance(HOUR)
    await collector.drain()
    after = {name: c.tg_id for name, c in (await _channels(engine)).items()}
    assert after == {"pulse_tech": ids["pulse_news"], "pulse_news": ids["pulse_tech"]}
    texts = sorted(a.text.split(": ")[1].split(".")[0] for a in await _alerts(engine))
    assert texts == ["@pulse_news → @pulse_tech", "@pulse_tech → @pulse_news"]


async def test_a_channel_without_a_public_name_is_not_a_rename(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()
    source.rename("pulse_news", None)
    for _ in range(2):
        clock.advance(HOUR)
        await collector.drain()
    channel = (await _channels(engine))["pulse_news"]
    assert channel.status == "active" and channel.last_collected_at == clock.now()
    (alert,) = await _alerts(engine)
    assert alert.kind == "unnamed" and "no longer has a public username (it was @pulse_news)" in alert.text
    assert "renamed" not in alert.text


async def test_a_second_username_is_not_a_rename(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, _source, _ = build(engine, clock)
    await collector.enqueue(["@pulsenews"], added_by=1)  # the channel's other active username
    await collector.drain()
    assert list(await _channels(engine)) == ["pulsenews"]
    assert await _alerts(engine) == []


async def test_a_failed_channel_stores_what_kind_of_failure(engine: AsyncEngine, now: datetime) -> None:
    collector, _source, _ = build(engine, VirtualClock(now))
    await collector.enqueue(["@typo_chanel", "@pulse_private", "@pulse_person"], added_by=1)
    await collector.drain()
    kinds = {n: (c.status, c.status_kind) for n, c in (await _channels(engine)).items()}
    assert kinds == {"typo_chanel": ("failed", "not_found"), "pulse_private": ("failed", "private"),
                     "pulse_person": ("failed", "not_channel")}


async def test_a_name_marked_stale_is_never_sent_to_telegram(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock)
    await collector.enqueue(["@pulse_news", "@pulse_tech"], added_by=1)
    await collector.drain()
    source.rename("pulse_tech", "tech_new")
    source.rename("pulse_news", "pulse_tech")
    async with write(engine) as conn:
        tech = await ChannelRepo(conn).get_by_username("pulse_tech")
        assert tech is not None
        await ChannelRepo(conn).update(tech.id, access_hash=12345)  # as if another account resolved it
    clock.advance(HOUR)
    await collector.drain()  # @pulse_news's run takes the name first and marks the other stale
    resolved = [args for kind, args in source.requests if kind == "resolve"]
    assert not any("~" in str(a) for a in resolved)
    async with read(engine) as conn:
        stale = await ChannelRepo(conn).get(tech.id)
    assert stale is not None and stale.status == "failed"
    assert stale.status_reason == (
        "@pulse_tech was renamed and Telegram rejected its stored access; add it again by its new name"
    )
