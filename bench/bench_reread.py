"""Counter freshness of a busy channel: a post every 10 minutes (144 a day), collected hourly for
some days on a virtual clock (the waits are the policy's, not slept).

Prints the requests and gate seconds of one run, the real time one run's storage takes, how long
ago the posts aged 48-72 h were last read, their stored views against the sandbox's truth, and how
many posts ERR24 rests on.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from analytics.service import channel_summary
from analytics.windows import parse_window
from clock import VirtualClock
from collector.notifier import ConsoleNotifier
from collector.pacing import PacingConfig
from sandbox import telegram as sb
from sandbox.collector import sandbox_collector
from storage.db import read
from storage.migrate import open_database
from storage.posts import PostRepo
from storage.runs import RunRepo

H = timedelta(hours=1)


async def measure(days: int, folder: Path) -> int:
    spec = sb._Spec("busy_news", "Busy News", 1_900_000_011, 10, days + 5, 100_000, 10.0)
    sb.SPECS[spec.username] = spec  # this process only
    engine = await open_database(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    clock = VirtualClock(sb.EPOCH + H)
    collector, source = sandbox_collector(engine, clock, notifier=ConsoleNotifier(io.StringIO()),
                                          rng=random.Random(1))
    collector.wake_hook = lambda: None
    await collector.enqueue([f"@{spec.username}"], added_by=None)
    await collector.drain()
    walls = []
    for _ in range(days * 24):
        clock.advance(3600)
        source.requests.clear()
        clock.sleeps.clear()
        began = time.perf_counter()
        await collector.drain()
        walls.append(time.perf_counter() - began)
    kinds = [k for k, _ in source.requests]
    gate = sum(s for s in clock.sleeps if s == PacingConfig().request_gap)
    now = clock.now()
    async with read(engine) as conn:
        posts = [p for p in await PostRepo(conn).list(1) if not p.deleted and p.views is not None]
        run = (await RunRepo(conn).recent(limit=1))[0]
    aged = [p for p in posts if 48 * H < now - p.date <= 72 * H]
    since = max((now - p.updated_at) / H for p in aged)
    stored = statistics.mean(p.views for p in aged)  # type: ignore[misc]
    truth = statistics.mean(source._post(spec, p.message_id, now).views for p in aged)  # type: ignore[misc]
    summary = await channel_summary(engine, 1, parse_window("7d"), now, "UTC")
    await engine.dispose()
    print(f"busy channel (144 posts/day), hourly for {days} days on a virtual clock")
    print(f"  last run: {kinds.count('messages')} GetMessages requests, {kinds.count('history')} history, "
          f"{run.updated} counters re-read; {gate:.0f} s of request_gap pauses")
    print(f"  real time per run (storage and bookkeeping, waits not slept): "
          f"median {statistics.median(walls) * 1000:.0f} ms, max {max(walls) * 1000:.0f} ms")
    print(f"  posts aged 48-72 h: {len(aged)}, last read at most {since:.2f} h ago; stored mean views "
          f"{stored:,.0f} vs Telegram now {truth:,.0f} ({stored / truth - 1:+.1%})")
    print(f"  ERR24 (7d) rests on {summary.current.err24_posts if summary.current else 0} posts")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_reread", description=__doc__)
    parser.add_argument("--days", type=int, default=3, help="days of hourly runs (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as folder:
        return asyncio.run(measure(args.days, Path(folder)))


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
