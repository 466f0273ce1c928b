"""How a summary reads the posts: each window once, from the (channel_id, date) index alone.

The posts' rows carry their text; a read that reaches them for every post of the window costs a
/stats answer over 10,000 posts several times what the counters alone do (bench/bench_bot.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary
from analytics.windows import parse_window


async def _plans(engine: AsyncEngine, now: datetime, channel_id: int) -> list[tuple[str, list[str]]]:
    """Each statement of a 7d summary that reads `posts`, with SQLite's plan for it."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if " posts" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        s = await channel_summary(engine, channel_id, parse_window("7d"), now, "Europe/Berlin")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert s.current is not None and s.previous is not None and s.top_by_views
    out = []
    async with engine.connect() as conn:
        for statement, params in seen:
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            out.append((statement, [r[-1] for r in rows]))
    return out


@pytest.mark.sqlite_only(
    "reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL's planner chooses by table statistics instead"
)
async def test_each_window_is_read_once_from_the_index_alone(
    engine: AsyncEngine, pulse: int, now: datetime
) -> None:
    plans = await _plans(engine, now, pulse)
    assert not [s for s, plan in plans if any(step.startswith("SCAN posts") for step in plan)]
    # Reads over a window's range of dates; the rest are lookups of one channel or a few posts.
    window_reads = [(s, p) for s, p in plans if any("date>?" in step for step in p)]
    # One statement reads the current window by hour and the window before; one ranks the top posts
    # (and looks up the texts of the few winners only, by key).
    assert len(window_reads) == 2, [s[:80] for s, _ in window_reads]
    # Each window read once: its single posts, then its albums' items.
    range_steps = [step for _, plan in window_reads for step in plan if "date>?" in step]
    assert len(range_steps) == 2 * 3, range_steps
    for statement, plan in window_reads:
        reads_posts = [step for step in plan if step.startswith(("SEARCH posts", "SEARCH item"))]
        # Over a range of dates: the index alone. By key, for the few winners' texts: the rows.
        assert all("USING COVERING INDEX ix_posts_channel_date_counters" in step
                   if "date>?" in step else "(channel_id=? AND message_id" in step
                   for step in reads_posts), (statement[:80], plan)
