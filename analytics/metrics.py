"""Metric definitions as pure functions of a window's totals (storage.window_stats), folded posts
(storage.queries.PostRow) and subscriber counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from statistics import median
from zoneinfo import ZoneInfo

from analytics.records import BestHour, HourFigure, TopPost, WindowMetrics
from storage.queries import PostRow
from storage.subscribers import SubscriberPoint
from storage.window_stats import Tally, WindowTotals

BEST_HOUR_MIN_POSTS = 3
TOP_N = 3
EXCERPT_WORDS = 8


def pct(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return part / whole * 100.0


def _per_post(t: Tally) -> float | None:
    """The mean over the posts where the counter is known (an exact integer sum, divided once)."""
    return t.total / t.known if t.known and t.total is not None else None


def window_metrics(
    totals: WindowTotals, start: datetime | None, end: datetime, days: float | None,
    subs_end: SubscriberPoint | None, subs_base: SubscriberPoint | None,
) -> WindowMetrics:
    """Every figure of one window; `subs_base` is the count the change is measured from."""
    subscribers = subs_end.subscribers if subs_end else None
    change = None
    # A base no earlier than the end's count (nothing new seen in the window) gives no change, not 0.
    if subs_end is not None and subs_base is not None and subs_base.taken_at < subs_end.taken_at:
        change = subs_end.subscribers - subs_base.subscribers
    views_mean = _per_post(totals.views)
    views_24h = _per_post(totals.views_24h)
    return WindowMetrics(
        start=start, end=end, subscribers=subscribers,
        subscribers_at=subs_end.taken_at if subs_end else None,
        subscribers_change=change,
        subscribers_change_pct=pct(change, subs_base.subscribers) if subs_base and change is not None
        else None,
        subscribers_change_since=subs_base.taken_at if change is not None and subs_base else None,
        posts=totals.posts, posts_per_day=totals.posts / days if days else None,
        views_posts=totals.views.known, views_mean=views_mean, views_median=totals.views_median,
        err=pct(views_mean, subscribers),
        err24=pct(views_24h, subscribers), err24_posts=totals.views_24h.known,
        # Over posts with known views and at least one known counter; none known: unknown, not 0.
        er=pct(totals.rated_interactions, totals.rated_views) if totals.rated_posts else None,
        forwards_per_post=_per_post(totals.forwards),
        reactions_per_post=_per_post(totals.reactions),
        paid_reactions_per_post=_per_post(totals.paid_reactions),
        replies_per_post=_per_post(totals.replies),
    )


def _has_interactions(row: PostRow) -> bool:
    return row.reactions is not None or row.forwards is not None or row.replies is not None


def post_er(row: PostRow) -> float | None:
    if not row.views or not _has_interactions(row):
        return None
    return pct((row.reactions or 0) + (row.forwards or 0) + (row.replies or 0), row.views)


def excerpt(text: str) -> str:
    words = text.split()
    short = " ".join(words[:EXCERPT_WORDS])
    return short + ("…" if len(words) > EXCERPT_WORDS else "")


def top_post(row: PostRow, username: str) -> TopPost:
    return TopPost(
        row.message_id, row.date, f"https://t.me/{username}/{row.message_id}", excerpt(row.text),
        row.views, post_er(row),
    )


def best_hour(by_hour: Mapping[int, Sequence[int]]) -> BestHour:
    """The local hour of publication with the highest median views, among hours with at least three
    posts of known views; `by_hour` holds those views per hour."""
    hours = tuple(
        HourFigure(h, len(v), float(median(v)))
        for h, v in sorted(by_hour.items()) if len(v) >= BEST_HOUR_MIN_POSTS
    )
    if not hours:
        return BestHour(None, None, ())
    best = max(hours, key=lambda f: (f.median_views, -f.hour))
    return BestHour(best.hour, best.median_views, hours)


def heatmap(rows: Sequence[PostRow], tz: str) -> list[list[float | None]]:
    """Median views per [weekday][hour] of publication (Monday first), None where no post."""
    zone = ZoneInfo(tz)
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for r in rows:
        if r.views is not None:
            local = r.date.astimezone(zone)
            cells[(local.weekday(), local.hour)].append(r.views)
    return [
        [float(median(cells[(d, h)])) if cells.get((d, h)) else None for h in range(24)]
        for d in range(7)
    ]
