"""Online backup throughput, `status` read time, and the cost of redacting log lines.

Run: `.venv/bin/python -m bench bench_backup` (or `python -m bench.bench_backup --posts 100000`).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.logs import configure_logging
from app.status import gather_status
from storage.backup import backup_database
from storage.db import write
from storage.migrate import open_database
from storage.tables import channels, posts

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def _build(url: str, n_channels: int, n_posts: int) -> None:
    engine = await open_database(url)
    per_channel = n_posts // n_channels
    async with write(engine) as conn:
        await conn.execute(channels.insert(), [
            {"id": c, "ref": f"@c{c}", "username": f"c{c}", "added_at": NOW, "status": "active"}
            for c in range(1, n_channels + 1)
        ])
        for c in range(1, n_channels + 1):
            await conn.execute(posts.insert(), [
                {"channel_id": c, "message_id": m, "date": NOW - timedelta(minutes=m), "text": "x" * 300,
                 "first_seen_at": NOW, "updated_at": NOW, "views": m * 10}
                for m in range(1, per_channel + 1)
            ])
    await engine.dispose()


async def _measure(folder: Path, n_channels: int, n_posts: int) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'pulse.db'}"
    await _build(url, n_channels, n_posts)
    times, size = [], 0
    for i in range(3):
        start = time.perf_counter()
        report = await backup_database(url, folder / f"copy{i}.db", NOW)
        times.append(time.perf_counter() - start)
        size = report.size_bytes
    best, mib = min(times), size / 2**20
    print(f"backup: {n_posts:,} posts, {mib:.1f} MiB: median {statistics.median(times) * 1000:.0f} ms, "
          f"best {best * 1000:.0f} ms ({mib / best:.0f} MiB/s)")
    engine = await open_database(url)
    reads = []
    for _ in range(20):
        start = time.perf_counter()
        await gather_status(engine, NOW)
        reads.append(time.perf_counter() - start)
    await engine.dispose()
    print(f"status: {n_channels} channels, {n_posts:,} posts: p50 {statistics.median(reads) * 1000:.1f} ms, "
          f"max {max(reads) * 1000:.1f} ms")


def _log_cost(lines: int) -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    per_line = {}
    try:
        for label, secrets in (("no secrets", []), ("3 secrets", ["123:" + "A" * 35, "f" * 32, "1B" * 100])):
            configure_logging("INFO", "text", secrets, stream=io.StringIO())
            log = logging.getLogger("telethon.network")
            for i in range(lines // 10):  # warm up: the first lines pay for imports and caches
                log.info("warm-up %d", i)
            start = time.perf_counter()
            for i in range(lines):
                log.info("sending request %d to DC %d (+4915112345678)", i, 2)
            per_line[label] = (time.perf_counter() - start) / lines * 1e6
    finally:
        for handler in root.handlers:
            if handler not in saved[0]:
                handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    print(f"logging: {per_line['no secrets']:.1f} µs per line with phone redaction only, "
          f"{per_line['3 secrets']:.1f} µs with 3 secrets")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_backup")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as folder:
        asyncio.run(_measure(Path(folder), args.channels, args.posts))
    _log_cost(20_000)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
