"""What the collector tells the bot and the CLI: each reference's enqueue outcome, its live state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.capacity import Load
from collector.ledger import AccountSummary
from storage.models import Channel


@dataclass(frozen=True)
class EnqueueOutcome:
    text: str
    kind: str  # "queued", "already" or "refused"
    reason: str | None = None
    channel: Channel | None = None


@dataclass(frozen=True)
class CollectorState:
    collecting: bool
    channel: str | None
    message_index: int | None
    message_total: int | None
    wait_seconds: float | None
    wait_layer: str | None
    wait_until: datetime | None
    queue_length: int
    eta: datetime | None
    next_run: datetime | None  # the `collect` job's next run
    flood_waits_today: int
    # When a channel is next collected once the run in progress (if any) is over; None: never
    # (nothing collectable, or no scheduler).
    next_collection: datetime | None = None
    account: AccountSummary | None = None  # the account ledger, as last read
    load: Load | None = None  # the channels tracked against what one account can collect
