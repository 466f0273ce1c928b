"""Where a channel's history begins: a small channel read whole in one run says so, and a page of
service messages is not taken for the start."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary
from analytics.windows import parse_window
from clock import VirtualClock
from collector.pacing import PacingConfig
from collector.source import ChannelKey, HistoryPage
from sandbox import telegram as sb
from storage.channels import ChannelRepo
from storage.db import read
from storage.models import Channel
from tests.collector.helpers import build


async def _channel(engine: AsyncEngine) -> Channel:
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(1)
    assert channel is not None
    return channel


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> str:
    """20 posts, one every two days, the first 40 days old: older than the 30-day backfill window."""
    spec = sb._Spec("tiny", "Tiny", 1_900_000_010, 60 * 48, 40, 5_000, 1.0)
    monkeypatch.setitem(sb.SPECS, spec.username, spec)
    return spec.username


async def test_a_small_channel_read_whole_in_one_run_is_complete(engine: AsyncEngine, tiny: str) -> None:
    clock = VirtualClock(sb.EPOCH + timedelta(hours=1))
    collector, source, _ = build(engine, clock)
    await collector.enqueue([f"@{tiny}"], added_by=1)
    await collector.drain()
    channel = await _channel(engine)
    assert channel.backfill_done and channel.history_complete
    assert [k for k, _ in source.requests] == ["resolve", "history", "info"]
    summary = await channel_summary(engine, 1, parse_window("all"), clock.now(), "UTC")
    assert not summary.partial and summary.history_from is None  # "all" is the whole history


async def test_a_short_first_page_is_confirmed_by_one_older_request(engine: AsyncEngine, tiny: str) -> None:
    clock = VirtualClock(sb.EPOCH + timedelta(hours=1))
    collector, source, _ = build(engine, clock)
    real = source.get_history
    asked: list[int | None] = []

    async def unsure(channel: ChannelKey, limit: int, newer_than: int | None = None,
                     older_than: int | None = None) -> HistoryPage:
        # As Telegram may: fewer than asked, without message 1 in it, so no proof of the start.
        page = await real(channel, limit, newer_than, older_than)
        asked.append(older_than)
        return dataclasses.replace(page, at_start=False) if older_than is None else page

    source.get_history = unsure  # type: ignore[method-assign]
    await collector.enqueue([f"@{tiny}"], added_by=1)
    await collector.drain()
    channel = await _channel(engine)
    assert [k for k, _ in source.requests] == ["resolve", "history", "history", "info"]
    assert asked[1] is not None and asked[1] <= min(channel.oldest_message_id or 0, 20)
    assert channel.history_complete and channel.backfill_done


async def test_a_backfill_page_of_service_messages_is_not_the_start(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    collector, source, _ = build(engine, clock, PacingConfig(history_limit=5))
    await collector.enqueue(["@pulse_news"], added_by=1)
    await collector.drain()
    first_oldest = (await _channel(engine)).oldest_message_id
    assert first_oldest is not None
    real = source.get_history
    asked: list[tuple[int | None, int]] = []

    async def pins_below(channel: ChannelKey, limit: int, newer_than: int | None = None,
                         older_than: int | None = None) -> HistoryPage:
        asked.append((older_than, limit))
        if older_than == first_oldest:  # Telegram returns `limit` pins and photo changes: no posts
            return HistoryPage((), returned=limit, oldest_id=older_than - limit)
        return await real(channel, limit, newer_than, older_than)

    source.get_history = pins_below  # type: ignore[method-assign]
    clock.advance(3600)
    await collector.drain()
    (room,) = [n for o, n in asked if o == first_oldest]
    channel = await _channel(engine)
    assert not channel.history_complete and not channel.backfill_done  # older posts exist
    below = first_oldest - room
    assert channel.oldest_message_id == below  # the next page starts below the pins
    clock.advance(3600)
    await collector.drain()
    assert asked[-1][0] == below
    assert (await _channel(engine)).oldest_message_id < below  # type: ignore[operator]
