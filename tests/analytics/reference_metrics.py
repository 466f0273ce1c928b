"""The summary's figures computed the way they were before SQL did the work: in Python, from every
folded post of the window (`storage.queries.collapsed_posts`). Tests hold the SQL path to these."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from math import fsum
from statistics import median
from zoneinfo import ZoneInfo

from analytics.metrics import pct, top_post
from analytics.records import BestHour, HourFigure, TopPost, WindowMetrics
from storage.queries import PostRow
from storage.subscribers import SubscriberPoint

BEST_HOUR_MIN_POSTS = 3


def mean(values: Sequence[float]) -> float:
    # statistics.mean is exact (fractions) and several times slower; floats suffice here.
    return fsum(values) / len(values)


TOP_N = 3


def _per_post(values: Sequence[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return mean(known) if known else None


def window_metrics(
    rows: Sequence[PostRow], start: datetime | None, end: datetime, days: float | None,
    subs_end: SubscriberPoint | None, subs_base: SubscriberPoint | None,
) -> WindowMetrics:
    """Every figure of one window; `subs_base` is the count the change is measured from."""
    seen = [r for r in rows if r.views is not None]
    views = [r.views for r in seen if r.views is not None]
    subscribers = subs_end.subscribers if subs_end else None
    change = None
    # A base no earlier than the end's count (nothing new seen in the window) gives no change, not 0.
    if subs_end is not None and subs_base is not None and subs_base.taken_at < subs_end.taken_at:
        change = subs_end.subscribers - subs_base.subscribers
    views_mean = mean(views) if views else None
    day24 = [r.views_24h for r in rows if r.views_24h is not None]
    rated = [r for r in seen if _has_interactions(r)]
    interactions = sum((r.reactions or 0) + (r.forwards or 0) + (r.replies or 0) for r in rated)
    return WindowMetrics(
        start=start, end=end, subscribers=subscribers,
        subscribers_at=subs_end.taken_at if subs_end else None,
        subscribers_change=change,
        subscribers_change_pct=pct(change, subs_base.subscribers) if subs_base and change is not None
        else None,
        subscribers_change_since=subs_base.taken_at if change is not None and subs_base else None,
        posts=len(rows), posts_per_day=len(rows) / days if days else None,
        views_posts=len(views), views_mean=views_mean,
        views_median=float(median(views)) if views else None,
        err=pct(views_mean, subscribers),
        err24=pct(mean(day24), subscribers) if day24 else None, err24_posts=len(day24),
        # Over posts with known views and at least one known counter; none known: unknown, not 0.
        er=pct(interactions, sum(r.views or 0 for r in rated)) if rated else None,
        forwards_per_post=_per_post([r.forwards for r in rows]),
        reactions_per_post=_per_post([r.reactions for r in rows]),
        paid_reactions_per_post=_per_post([r.paid_reactions for r in rows]),
        replies_per_post=_per_post([r.replies for r in rows]),
    )


def _has_interactions(row: PostRow) -> bool:
    return row.reactions is not None or row.forwards is not None or row.replies is not None


def post_er(row: PostRow) -> float | None:
    if not row.views or not _has_interactions(row):
        return None
    return pct((row.reactions or 0) + (row.forwards or 0) + (row.replies or 0), row.views)


def top_posts(rows: Sequence[PostRow], username: str) -> tuple[tuple[TopPost, ...], tuple[TopPost, ...]]:
    """The three most viewed posts, and the three with the highest ER (ties: more views first)."""
    seen = [r for r in rows if r.views is not None]
    # nsmallest over (sort key) instead of sorting every post: a window may hold thousands.
    by_views = heapq.nsmallest(TOP_N, seen, key=lambda r: (-(r.views or 0), r.message_id))
    rated = [(er, r) for r in seen if (er := post_er(r)) is not None]
    by_er = [r for _, r in heapq.nsmallest(
        TOP_N, rated, key=lambda pair: (-pair[0], -(pair[1].views or 0), pair[1].message_id)
    )]
    return tuple(top_post(r, username) for r in by_views), tuple(top_post(r, username) for r in by_er)


def best_hour(rows: Sequence[PostRow], tz: str) -> BestHour:
    """Median views by local hour of publication, among hours with at least three posts."""
    zone = ZoneInfo(tz)
    by_hour: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        if r.views is not None:
            by_hour[r.date.astimezone(zone).hour].append(r.views)
    hours = tuple(
        HourFigure(h, len(v), float(median(v)))
        for h, v in sorted(by_hour.items()) if len(v) >= BEST_HOUR_MIN_POSTS
    )
    if not hours:
        return BestHour(None, None, ())
    best = max(hours, key=lambda f: (f.median_views, -f.hour))
    return BestHour(best.hour, best.median_views, hours)
