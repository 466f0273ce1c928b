"""The frozen result records analytics hands to the bot, the CLI and the exports, with `to_dict()`
(plain JSON values, datetimes as ISO 8601 UTC). Plain data only: no queries, no drawing."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any


def jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # PNG bytes travel beside the JSON, never inside it
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


class ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values (None stays None: unknown, not zero)."""
        return jsonable(self)


@dataclass(frozen=True)
class WindowMetrics(ToDict):
    start: datetime | None
    end: datetime
    subscribers: int | None
    subscribers_at: datetime | None
    subscribers_change: int | None
    subscribers_change_pct: float | None
    subscribers_change_since: datetime | None  # the count the change is measured from
    posts: int
    posts_per_day: float | None
    views_posts: int  # posts whose views are known; the view figures rest on these
    views_mean: float | None
    views_median: float | None
    err: float | None
    err24: float | None
    err24_posts: int
    er: float | None
    forwards_per_post: float | None
    reactions_per_post: float | None
    paid_reactions_per_post: float | None
    replies_per_post: float | None

    @property
    def change_starts_late(self) -> datetime | None:
        """When the subscriber change starts, if later than the window (tracked for less)."""
        since = self.subscribers_change_since
        return since if since is not None and (self.start is None or since > self.start) else None


@dataclass(frozen=True)
class TopPost(ToDict):
    message_id: int
    date: datetime
    link: str
    excerpt: str
    views: int | None
    er: float | None


@dataclass(frozen=True)
class HourFigure(ToDict):
    hour: int
    posts: int
    median_views: float


@dataclass(frozen=True)
class BestHour(ToDict):
    hour: int | None  # None: not enough posts yet
    median_views: float | None
    hours: tuple[HourFigure, ...]

    @property
    def text(self) -> str:
        if self.hour is None:
            return "not enough posts yet"
        return f"{self.hour:02d}:00–{self.hour:02d}:59"


@dataclass(frozen=True)
class ChannelSummary(ToDict):
    channel_id: int
    username: str
    title: str | None
    status: str
    window: str
    window_label: str
    now: datetime
    tz: str
    last_collected_at: datetime | None  # None: never collected, so there are no numbers at all
    current: WindowMetrics | None
    previous: WindowMetrics | None
    top_by_views: tuple[TopPost, ...]
    top_by_er: tuple[TopPost, ...]
    best_hour: BestHour | None
    status_reason: str | None = None  # why the collector gave up, when status is "failed"
    # Posts are stored from this instant on (the oldest stored post), and were never read before
    # it; None when the channel's whole history is stored.
    history_from: datetime | None = None
    # The previous window reaches before `history_from`: its posts were never read, so it has
    # no figures (`previous` is None) rather than made-up zeros.
    previous_unread: bool = False

    @property
    def never_collected(self) -> bool:
        return self.last_collected_at is None

    @property
    def unread(self) -> bool:
        """Collected once, but not since the window began: it has no figures."""
        return self.last_collected_at is not None and self.current is None

    @property
    def partial(self) -> bool:
        """The window itself reaches before `history_from`: its figures rest on the posts since."""
        if self.history_from is None or self.current is None:
            return False
        return self.current.start is None or self.current.start < self.history_from

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {
            "never_collected": self.never_collected, "unread": self.unread, "partial": self.partial,
        }


@dataclass(frozen=True)
class OverviewRow(ToDict):
    channel_id: int
    username: str
    title: str | None
    status: str
    last_collected_at: datetime | None
    subscribers: int | None
    subscribers_change: int | None
    subscribers_change_pct: float | None
    posts: int | None  # None when never collected
    views_per_post: float | None
    err: float | None
    er: float | None
    status_reason: str | None = None
    history_from: datetime | None = None  # as in ChannelSummary
    partial: bool = False  # the window reaches before history_from
    # When the count the change runs from was taken, if inside the window (tracked for less).
    subscribers_change_since: datetime | None = None


def overview_dict(window: str, now: datetime, rows: list[OverviewRow]) -> dict[str, Any]:
    """The overview as `stats --json` prints it and the HTTP API sends it."""
    return {"window": window, "now": now.isoformat(), "channels": [r.to_dict() for r in rows]}


@dataclass(frozen=True)
class HistoryPoint(ToDict):
    taken_at: datetime
    age_hours: float
    views: int | None
    forwards: int | None
    reactions: int | None
    paid_reactions: int | None
    replies: int | None


@dataclass(frozen=True)
class PostHistory(ToDict):
    channel_id: int
    username: str
    message_id: int
    link: str
    date: datetime
    excerpt: str
    deleted: bool
    age_hours: float
    points: tuple[HistoryPoint, ...]


@dataclass(frozen=True)
class DigestChannel(ToDict):
    channel_id: int
    username: str
    title: str | None
    last_collected_at: datetime | None  # None: never collected
    posts: int | None  # None (and every figure below): nothing of the period was read
    views: int | None  # Σ views of the posts published since the last digest (known ones)
    views_per_post: float | None
    err: float | None
    subscribers: int | None
    subscribers_change: int | None
    subscribers_change_pct: float | None
    top_post: TopPost | None
    status: str = "active"
    status_reason: str | None = None  # why the collector gave up, when status is "failed"
    # Set when the digest's period reaches before the oldest post read: posts are counted from here.
    partial_from: datetime | None = None

    @property
    def display(self) -> str:
        return self.title or f"@{self.username}"


@dataclass(frozen=True)
class DigestContent(ToDict):
    since: datetime
    now: datetime
    channels: tuple[DigestChannel, ...]
    chart_png: bytes | None  # views per collected channel, only when there are several
    until: datetime | None = None  # the period's end, when it stops short of `now`

    @property
    def end(self) -> datetime:
        return self.until or self.now
