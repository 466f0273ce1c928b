"""A ChannelSource that survives a dropped MTProto connection: reconnect, then repeat the request.

Telethon reconnects by itself a few times; when it gives up, every request fails with
"disconnected" until someone calls connect() again. Repeating the one failed request after
reconnecting lets the channel's run continue from the post it had reached instead of ending it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from collector.clock import Clock
from collector.source import (
    ChannelInfo,
    ChannelKey,
    ChannelSource,
    HistoryPage,
    ResolvedChannel,
    SourceDisconnected,
    SourcePost,
)

log = logging.getLogger("app.reconnect")
T = TypeVar("T")

# Seconds before each reconnect attempt; after the last one the drop reaches the collector, which
# leaves the channel due for the next round with its stored posts kept.
BACKOFF = (2.0, 5.0, 15.0, 30.0, 60.0)


class Reconnecting:
    def __init__(
        self, inner: ChannelSource, reconnect: Callable[[], Awaitable[None]], clock: Clock,
        min_delay: float = 1.0, backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self.inner, self._reconnect, self.clock = inner, reconnect, clock
        # Never repeat a request sooner than the request gap the pacing policy enforces.
        self._delays = tuple(max(min_delay, d) for d in backoff)

    async def _call(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        for attempt, delay in enumerate(self._delays, start=1):
            try:
                return await fn()
            except SourceDisconnected as exc:
                log.warning("MTProto connection lost during %s (%s); reconnecting in %g s (attempt %d of %d)",
                            what, exc, delay, attempt, len(self._delays))
            await self.clock.sleep(delay)  # a reconnect backoff, not a pacing layer
            try:
                await self._reconnect()
            except (OSError, ConnectionError) as exc:
                log.warning("reconnect failed: %s", exc)
        return await fn()

    async def account_id(self) -> int | None:
        return await self._call("account check", self.inner.account_id)

    def take_flood_sleeps(self) -> list[float]:
        return self.inner.take_flood_sleeps()

    async def resolve(self, username: str) -> ResolvedChannel:
        return await self._call("resolve", lambda: self.inner.resolve(username))

    async def get_info(self, channel: ChannelKey) -> ChannelInfo:
        return await self._call("info", lambda: self.inner.get_info(channel))

    async def get_history(
        self, channel: ChannelKey, limit: int, newer_than: int | None = None,
        older_than: int | None = None,
    ) -> HistoryPage:
        return await self._call("history", lambda: self.inner.get_history(
            channel, limit, newer_than=newer_than, older_than=older_than))

    async def get_messages(self, channel: ChannelKey, ids: list[int]) -> list[SourcePost | None]:
        return await self._call("messages", lambda: self.inner.get_messages(channel, ids))
