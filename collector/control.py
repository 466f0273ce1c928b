"""What the bot needs from a collector, whichever runs it: the in-process `Collector` of `run`, or
the `QueuedCollector` of the `bot` role, which hands channel runs to `collector` processes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from clock import Clock
from collector.capacity import Load
from collector.records import CollectorState, EnqueueOutcome
from storage.models import Channel


class CollectorControl(Protocol):
    clock: Clock

    async def enqueue(self, texts: list[str], added_by: int | None) -> list[EnqueueOutcome]:
        """Store each reference as queued (no Telegram request) and have it collected soon."""
        ...

    async def pause(self, channel_id: int) -> None: ...

    async def resume(self, channel_id: int) -> None: ...

    async def remove(self, channel_id: int, keep_data: bool) -> None: ...

    async def refresh_account(self) -> None:
        """Read again what state() shows (the account ledger, and the queue where it is elsewhere)."""
        ...

    def state(self) -> CollectorState: ...

    def load(self) -> Load: ...

    def collection_time(self, channel: Channel) -> datetime | None: ...

    async def drain(self) -> None:
        """The scheduler's `collect` job: collect (or hand out) every channel due now."""
        ...

    async def aclose(self) -> None: ...
