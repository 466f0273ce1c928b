"""Plain frozen records that cross out of `storage/`; no SQLAlchemy row leaves this package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Self

CHANNEL_STATUSES = ("queued", "active", "paused", "failed")


class _FromRow:
    @classmethod
    def from_row(cls, row: Any) -> Self:
        data = row._mapping
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})  # type: ignore[call-arg]


@dataclass(frozen=True)
class Channel(_FromRow):
    id: int
    ref: str
    username: str
    status: str
    added_at: datetime
    tg_id: int | None = None
    access_hash: int | None = None
    resolved_by: int | None = None
    resolve_count: int = 0
    title: str | None = None
    status_reason: str | None = None
    status_kind: str | None = None  # a failed channel's kind of failure ("private", "not_found", ...)
    added_by: int | None = None
    newest_message_id: int | None = None
    oldest_message_id: int | None = None
    backfill_done: bool = False
    history_complete: bool = False
    last_collected_at: datetime | None = None
    next_collection_at: datetime | None = None
    unexpected_failures: int = 0
    account_id: int | None = None  # the account that collects it; None until one takes it

    @property
    def display(self) -> str:
        return self.title or f"@{self.username}"


@dataclass(frozen=True)
class Counters:
    """A post's counters at one moment; None means Telegram did not say."""

    views: int | None = None
    forwards: int | None = None
    replies: int | None = None
    reactions: int | None = None
    paid_reactions: int | None = None
    reactions_json: Mapping[str, int] | None = None


@dataclass(frozen=True)
class Post(_FromRow):
    channel_id: int
    message_id: int
    date: datetime
    text: str = ""
    media_kind: str | None = None
    grouped_id: int | None = None
    edit_date: datetime | None = None
    deleted: bool = False
    deleted_at: datetime | None = None
    forward_from: str | None = None
    post_author: str | None = None
    first_seen_at: datetime | None = None
    updated_at: datetime | None = None
    views: int | None = None
    forwards: int | None = None
    replies: int | None = None
    reactions: int | None = None
    paid_reactions: int | None = None
    reactions_json: Mapping[str, int] | None = None

    @property
    def counters(self) -> Counters:
        return Counters(
            self.views, self.forwards, self.replies, self.reactions, self.paid_reactions,
            self.reactions_json,
        )


@dataclass(frozen=True)
class CounterSnapshot(_FromRow):
    channel_id: int
    message_id: int
    run_id: int
    taken_at: datetime
    views: int | None = None
    forwards: int | None = None
    replies: int | None = None
    reactions: int | None = None
    paid_reactions: int | None = None
    reactions_json: Mapping[str, int] | None = None


@dataclass(frozen=True)
class SubscriberSnapshot(_FromRow):
    channel_id: int
    run_id: int
    taken_at: datetime
    subscribers: int | None


@dataclass(frozen=True)
class Run(_FromRow):
    id: int
    channel_id: int
    started_at: datetime
    finished_at: datetime | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    pacing_seconds: Mapping[str, float] | None = None
    flood_waits: int = 0
    flood_wait_seconds: float = 0.0
    error: str | None = None
    account_id: int | None = None  # the account that collected it


@dataclass(frozen=True)
class RunResult:
    """What a finished channel run reports back to storage."""

    fetched: int = 0
    new: int = 0
    updated: int = 0
    pacing_seconds: Mapping[str, float] = field(default_factory=dict)
    flood_waits: int = 0
    flood_wait_seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class DigestSubscription(_FromRow):
    id: int
    chat_id: int
    cadence: str  # "daily" or "weekly"
    at_time: str  # "HH:MM", local to `timezone`
    timezone: str
    channel_ids: tuple[int, ...]
    created_at: datetime
    weekday: int | None = None  # 0 = Monday, for weekly digests
    paused: bool = False
    last_slot_sent: datetime | None = None
    excluded_ids: tuple[int, ...] = ()  # with no channel_ids: every tracked channel but these
    covered_until: datetime | None = None  # the next digest covers posts published from here

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_ids", tuple(self.channel_ids))
        object.__setattr__(self, "excluded_ids", tuple(self.excluded_ids or ()))


@dataclass(frozen=True)
class Alert(_FromRow):
    key: str
    kind: str
    text: str
    created_at: datetime
    channel_id: int | None = None
    delivered_at: datetime | None = None
