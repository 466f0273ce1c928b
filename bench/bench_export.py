"""/export and the event loop: the longest stall of the loop while an export is read and built.

The bot, the scheduler and the collector share one event loop, so every millisecond /export holds
it is a millisecond no other admin gets an answer. Measured for a channel of 10,000 posts (CSV of
posts) and of 100,000 counter snapshots (CSV of series): the reading (in slices, on the loop) and
the building (in a thread), as `bot/handlers/export.py` does them. The median of 3 runs.

Run: `.venv/bin/python -m bench bench_export`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from analytics.export import load_export, render_export
from bench.bench_bot import NOW, build
from storage.db import write
from storage.migrate import open_database
from storage.runs import RunRepo
from storage.tables import counter_snapshots

TICK = 0.001


async def longest_stall(work: Callable[[], Awaitable[object]]) -> float:
    """Seconds the loop was late, at worst, for a 1 ms ticker running beside `work`."""
    worst, done = 0.0, asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            worst, last = max(worst, now - last - TICK), now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    await work()
    done.set()
    await task
    return worst


async def run(posts: int, snapshots_per_post: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        engine = await open_database(f"sqlite+aiosqlite:///{folder}/bench.db")
        try:
            await build(engine, posts, 30)  # one snapshot per post already
            async with write(engine) as conn:
                repo = RunRepo(conn)
                runs = [await repo.start(1, NOW - timedelta(hours=k)) for k in range(1, snapshots_per_post)]
                await conn.execute(counter_snapshots.insert(), [
                    {"channel_id": 1, "message_id": m, "run_id": run_id, "taken_at": NOW, "views": 5}
                    for m in range(1, posts + 1) for run_id in runs
                ])
            for series in (False, True):
                async def export(series: bool = series) -> None:
                    data = await load_export(engine, 1, series)
                    await asyncio.to_thread(lambda: render_export(data, "csv").encode("utf-8"))

                stalls = [await longest_stall(export) for _ in range(3)]
                what = f"{posts * snapshots_per_post:,} snapshots" if series else f"{posts:,} posts"
                stall = statistics.median(stalls) * 1000
                print(f"/export of {what}: longest event-loop stall {stall:.0f} ms")
        finally:
            await engine.dispose()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_export", description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--snapshots-per-post", type=int, default=10)
    args = parser.parse_args(argv)
    return asyncio.run(run(args.posts, args.snapshots_per_post))
