"""CPU of one /stats summary with 10,000 posts in the 30d window: the SQL path against the Python one.

The channel is bench_bot's (`--posts 20000 --span-days 60`: 10,000 posts in the window, 10,000 in
the one before). "SQL" is `analytics.service.channel_summary` as the bot calls it. "Python" is
what it did before: every folded post of both windows read as a row (`collapsed_posts`) and the
figures computed from them (tests/analytics/reference_metrics.py, which the tests hold the SQL
path to). The two take turns, so a change of load hits both. CPU is the process's (the aiosqlite
thread included) and the event loop thread's alone; wall time is printed too, but it rides on
the machine's load.

Run: `.venv/bin/python -m bench bench_summary` (or `python -m bench.bench_summary --repeat 40`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary
from analytics.windows import parse_window
from bench.bench_bot import NOW, build
from storage.db import read
from storage.migrate import open_database
from storage.queries import collapsed_posts
from tests.analytics import reference_metrics as python_path

TZ = "Europe/Berlin"


async def by_python(engine: AsyncEngine) -> None:
    """The figures that come from posts, computed in Python from every post of both windows."""
    window = parse_window("30d")
    start, end = window.bounds(NOW)
    before = window.previous_bounds(NOW)
    assert start is not None and before is not None
    async with read(engine) as conn:
        rows = await collapsed_posts(conn, 1, before[0], end)
    current = [r for r in rows if r.date >= start]
    python_path.window_metrics(current, start, end, 30.0, None, None)
    python_path.window_metrics([r for r in rows if r.date < start], *before, 30.0, None, None)
    python_path.top_posts(current, "bench_channel")
    python_path.best_hour(current, TZ)


async def by_sql(engine: AsyncEngine) -> None:
    await channel_summary(engine, 1, parse_window("30d"), NOW, TZ)


async def timed(run: Callable[[], Awaitable[None]]) -> tuple[float, float, float]:
    cpu, loop, wall = time.process_time(), time.thread_time(), time.perf_counter()
    await run()
    return ((time.process_time() - cpu) * 1000, (time.thread_time() - loop) * 1000,
            (time.perf_counter() - wall) * 1000)


def line(label: str, samples: list[tuple[float, float, float]]) -> str:
    cpu, loop, wall = (statistics.median(s[i] for s in samples) for i in range(3))
    return f"{label}: CPU p50 {cpu:.1f} ms (event loop thread {loop:.1f} ms), wall p50 {wall:.1f} ms"


async def run(repeat: int, posts: int, span_days: float, folder: Path) -> int:
    engine = await open_database(f"sqlite+aiosqlite:///{folder / 'bench_summary.db'}")
    await build(engine, posts, span_days)
    in_window = sum(1 for m in range(posts) if timedelta(days=span_days) / posts * m < timedelta(days=30))
    sql, py = [], []
    for _ in range(3):  # warm-up: connections, statement caches
        await by_sql(engine)
        await by_python(engine)
    for _ in range(repeat):
        sql.append(await timed(lambda: by_sql(engine)))
        py.append(await timed(lambda: by_python(engine)))
    await engine.dispose()
    print(f"30d summary, {in_window:,} posts in the window of {posts:,}, {repeat} turns each:")
    print(line("  SQL path (channel_summary)", sql))
    print(line("  Python path (every post)  ", py))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_summary", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--span-days", type=float, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="channelpulse-bench-summary-") as folder:
        return asyncio.run(run(args.repeat, args.posts, args.span_days, Path(folder)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
