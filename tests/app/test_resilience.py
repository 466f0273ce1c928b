"""A dropped MTProto connection: reconnect after a backoff, repeat the request, carry on."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.resilience import Reconnecting
from collector.clock import VirtualClock
from collector.source import ChannelKey, SourceDisconnected
from sandbox.telegram import SandboxTelegram

KEY_OF = "pulse_news"


async def _key(source: SandboxTelegram) -> ChannelKey:
    return (await source.resolve(KEY_OF)).key


async def test_a_drop_is_followed_by_a_reconnect_and_the_same_request_again(now: datetime) -> None:
    clock = VirtualClock(now)
    inner = SandboxTelegram(clock)
    key = await _key(inner)
    reconnects: list[float] = []

    async def reconnect() -> None:
        reconnects.append(clock.monotonic())

    source = Reconnecting(inner, reconnect, clock, min_delay=1.0)
    inner.inject_disconnect("history", times=2)
    posts = await source.get_history(key, 5)
    assert [p.message_id for p in posts] == [p.message_id for p in await inner.get_history(key, 5)]
    # Two drops: waited 2 s then 5 s (virtual), reconnecting after each wait.
    assert clock.sleeps == [2.0, 5.0]
    assert reconnects == [2.0, 7.0]


async def test_the_backoff_never_undercuts_the_request_gap(now: datetime) -> None:
    clock = VirtualClock(now)
    inner = SandboxTelegram(clock)
    key = await _key(inner)
    inner.inject_disconnect("info")

    async def reconnect() -> None:
        return None

    await Reconnecting(inner, reconnect, clock, min_delay=3.0, backoff=(1.0,)).get_info(key)
    assert clock.sleeps == [3.0]


async def test_a_connection_that_stays_down_reaches_the_collector(now: datetime) -> None:
    clock = VirtualClock(now)
    inner = SandboxTelegram(clock)
    key = await _key(inner)
    inner.inject_disconnect("messages", times=10)
    failed: list[str] = []

    async def reconnect() -> None:
        failed.append("tried")
        raise ConnectionError("network is unreachable")

    with pytest.raises(SourceDisconnected):
        await Reconnecting(inner, reconnect, clock, backoff=(2.0, 5.0)).get_messages(key, [1, 2])
    assert clock.sleeps == [2.0, 5.0] and failed == ["tried", "tried"]
