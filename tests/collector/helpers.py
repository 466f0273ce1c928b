"""A collector wired to the sandbox Telegram on a virtual clock, and a notifier that records."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock, VirtualClock
from collector.assignment import Handover
from collector.pacing import PacingConfig
from collector.service import Collector
from sandbox.collector import sandbox_collector
from sandbox.telegram import SandboxTelegram
from storage.db import read
from storage.models import Channel
from storage.runs import RunRepo


@dataclass
class RecordingNotifier:
    events: list[tuple[str, str, object]] = field(default_factory=list)
    handovers: list[Handover | None] = field(default_factory=list)

    async def first_collection_done(self, channel: Channel, posts_stored: int) -> None:
        self.events.append(("first", channel.username, posts_stored))

    async def channel_failed(self, channel: Channel, reason: str) -> None:
        self.events.append(("failed", channel.username, reason))

    async def flood_wait_postponed(self, channel: Channel, seconds: float) -> None:
        self.events.append(("postponed", channel.username, seconds))

    async def account_stopped(self, reason: str, handover: Handover | None = None) -> None:
        self.events.append(("stopped", "", reason))
        self.handovers.append(handover)

    async def channel_collected(self, channel: Channel, run_id: int) -> None:
        self.events.append(("collected", channel.username, run_id))


def message_gaps(n: int = 50) -> list[float]:
    """The report's layered gaps between n history messages, written out by hand."""
    gaps = []
    for k in range(1, n):
        gap = 0.5
        if k % 5 == 0:
            gap += 3
        if k % 20 == 0:
            gap += 10
        gaps.append(gap)
    return gaps


def build(engine: AsyncEngine, clock: Clock, pacing: PacingConfig | None = None, manual: bool = True,
          ) -> tuple[Collector, SandboxTelegram, RecordingNotifier]:
    """manual: wakes are left to the test, which calls drain() itself (as a scheduler would)."""
    notifier = RecordingNotifier()
    collector, source = sandbox_collector(engine, clock, pacing, notifier, rng=random.Random(1))
    if manual:
        collector.wake_hook = lambda: None
    return collector, source, notifier


class HoldingClock(VirtualClock):
    """A virtual clock whose sleep number `hold_at` blocks until the test calls release()."""

    def __init__(self, start: datetime, hold_at: int) -> None:
        super().__init__(start)
        self.hold_at = hold_at
        self.held = asyncio.Event()
        self._release = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        if len(self.sleeps) == self.hold_at:
            self.held.set()
            await self._release.wait()

    def release(self) -> None:
        self._release.set()


async def fetched_per_run(engine: AsyncEngine) -> list[int]:
    """Posts each run stored, oldest run first: a page of 50 messages holds fewer posts when some
    of them are service messages, which Telegram counts toward the limit too."""
    async with read(engine) as conn:
        return [r.fetched for r in sorted(await RunRepo(conn).recent(100), key=lambda r: r.id)]
