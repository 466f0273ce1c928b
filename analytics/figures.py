"""One window's figures read from storage; shared by the summary and the digest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from analytics.metrics import WindowMetrics, window_metrics
from storage.subscribers import SubscriberBases, subscribers_at_each
from storage.window_stats import WindowTotals, window_totals


async def window_figures(
    conn: AsyncConnection, channel_id: int, start: datetime | None, end: datetime,
    days: float | None = None, totals: WindowTotals | None = None,
    known: SubscriberBases | None = None,
) -> WindowMetrics:
    """One window's metrics; the subscriber change runs from the last count at or before `start`
    (or, for a channel tracked for less than the window, its first count inside it).

    `known` may carry the counts already looked up (`subscribers_at_each`): at `start` and `end`,
    and the first inside (`start`, `end`)."""
    if totals is None:
        totals = await window_totals(conn, channel_id, start, end)
    wanted = [end] if start is None else [start, end]
    if known is None or any(at not in known.at for at in wanted) or (start, end) not in known.first_in:
        known = await subscribers_at_each(conn, channel_id, wanted, [(start, end)])
    subs_end = known.at[end]
    base = known.at[start] if start is not None else None
    if base is None:
        base = known.first_in[(start, end)]
    if days is None and start is not None:
        days = (end - start) / timedelta(days=1)
    return window_metrics(totals, start, end, days, subs_end, base)
