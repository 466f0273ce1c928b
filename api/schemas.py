"""The API's response models: they describe, for the OpenAPI document, the JSON the analytics
records' `to_dict()` gives (the same JSON `stats --json` prints); a test holds the two together."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Out):
    detail: str = Field(description="What went wrong, in one line")


class WindowMetricsOut(Out):
    start: datetime | None
    end: datetime
    subscribers: int | None
    subscribers_at: datetime | None
    subscribers_change: int | None
    subscribers_change_pct: float | None
    subscribers_change_since: datetime | None
    posts: int
    posts_per_day: float | None
    views_posts: int
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


class TopPostOut(Out):
    message_id: int
    date: datetime
    link: str
    excerpt: str
    views: int | None
    er: float | None


class HourFigureOut(Out):
    hour: int
    posts: int
    median_views: float


class BestHourOut(Out):
    hour: int | None
    median_views: float | None
    hours: list[HourFigureOut]


class SummaryOut(Out):
    """One channel's figures over a window beside the window before (`stats <ref> --json`)."""

    channel_id: int
    username: str
    title: str | None
    status: str
    window: str
    window_label: str
    now: datetime
    tz: str
    last_collected_at: datetime | None
    current: WindowMetricsOut | None
    previous: WindowMetricsOut | None
    top_by_views: list[TopPostOut]
    top_by_er: list[TopPostOut]
    best_hour: BestHourOut | None
    status_reason: str | None
    history_from: datetime | None
    previous_unread: bool
    never_collected: bool
    unread: bool
    partial: bool


class OverviewRowOut(Out):
    channel_id: int
    username: str
    title: str | None
    status: str
    last_collected_at: datetime | None
    subscribers: int | None
    subscribers_change: int | None
    subscribers_change_pct: float | None
    posts: int | None
    views_per_post: float | None
    err: float | None
    er: float | None
    status_reason: str | None
    history_from: datetime | None
    partial: bool
    subscribers_change_since: datetime | None


class OverviewOut(Out):
    """Every tracked channel over a window (`stats --json`)."""

    window: str
    now: datetime
    channels: list[OverviewRowOut]


class ChannelOut(Out):
    username: str
    title: str | None
    status: str = Field(description="queued, active, paused or failed")
    status_reason: str | None
    added_at: datetime
    last_collected_at: datetime | None
    next_collection_at: datetime | None
    history_complete: bool
    posts_stored: int
    subscribers: int | None = Field(description="The newest count; null when unknown")


class ChannelsOut(Out):
    channels: list[ChannelOut]


class PostOut(Out):
    message_id: int
    date: datetime
    link: str
    media_kind: str | None
    grouped_id: int | None
    deleted: bool
    views: int | None
    forwards: int | None
    replies: int | None
    reactions: int | None
    paid_reactions: int | None
    text: str


class PostPageOut(Out):
    username: str
    window: str
    sort: str
    order: str
    media: str | None
    total: int = Field(description="Posts that pass the filter, on all pages")
    offset: int
    limit: int
    posts: list[PostOut]


class HistoryPointOut(Out):
    taken_at: datetime
    age_hours: float
    views: int | None
    forwards: int | None
    reactions: int | None
    paid_reactions: int | None
    replies: int | None


class PostHistoryOut(Out):
    channel_id: int
    username: str
    message_id: int
    link: str
    date: datetime
    excerpt: str
    deleted: bool
    age_hours: float
    points: list[HistoryPointOut]


class SubscriberPointOut(Out):
    taken_at: datetime
    subscribers: int


class SubscribersOut(Out):
    username: str
    window: str
    points: list[SubscriberPointOut]


class AlertOut(Out):
    key: str
    kind: str = Field(description="subscribers, viral, channel, renamed or unnamed")
    text: str
    created_at: datetime
    channel_id: int | None
    delivered_at: datetime | None


class AlertsOut(Out):
    alerts: list[AlertOut]


class HealthOut(Out):
    healthy: bool
    detail: str


class ReadyOut(Out):
    ready: bool
    detail: str
