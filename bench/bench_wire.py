"""Wire requests of one account on the TL-level test Telegram, under the real TelegramClient and
the production wiring: per channel run (first and later), and per hour with 40 channels collected
hourly. Virtual clock: the policy's waits are counted, not slept.

Prints requests per run (mean and most), requests per hour (mean and most in any clock hour of the
steady state), the shortest gap between two requests, and how long a round of 40 channels takes.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
from collections import Counter
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from app.wiring import production_wiring
from clock import VirtualClock
from collector.notifier import ConsoleNotifier
from collector.service import Collector
from sandbox import telegram as sb
from sandbox.mtproto import FakeTelegram
from settings import load_settings
from storage.db import read
from storage.migrate import open_database
from storage.runs import RunRepo

H = timedelta(hours=1)


def add_channels(n: int) -> list[str]:
    """n public channels in the sandbox world (this process only), a post every 30-120 minutes."""
    names = []
    for i in range(n):
        spec = sb._Spec(f"bench_ch{i:02d}", f"Bench {i}", 1_900_100_000 + i, 30 + 3 * i, 40, 10_000, 5.0)
        sb.SPECS[spec.username] = spec
        names.append(spec.username)
    return names


async def measure(channels: int, hours: int, folder: Path) -> int:
    names = add_channels(channels)
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    engine = await open_database(url)
    clock = VirtualClock(sb.EPOCH + H)
    fake = FakeTelegram(clock)
    settings = load_settings(None, database_url=url, telegram_api_id=1, telegram_api_hash="x" * 32,
                             telegram_session_string=fake.session().save())
    wiring = await production_wiring(settings, clock, connection=fake.connection())
    collector = Collector(engine, wiring.source, wiring.gate, clock, ConsoleNotifier(io.StringIO()))
    collector.wake_hook = lambda: None
    try:
        start_up = len(fake.wire)
        await collector.enqueue([f"@{n}" for n in names], added_by=None)
        round_starts, took = [], []
        for _ in range(hours):
            began = clock.now()
            round_starts.append((began, len(fake.wire)))
            await collector.drain()
            took.append(clock.now() - began)
            clock.advance(max(0.0, (H - took[-1]).total_seconds()))  # the next hourly round
        async with read(engine) as conn:
            runs = sorted(await RunRepo(conn).recent(limit=channels * hours + 10), key=lambda r: r.id)
    finally:
        await wiring.close()
        await engine.dispose()
    first_round = round_starts[1][1] - round_starts[0][1]
    later = [b[1] - a[1] for a, b in pairwise(round_starts[1:])]
    per_hour = Counter(int((c.at - fake.wire[0].at) // 3600) for c in fake.wire)
    steady = [per_hour[h] for h in range(2, max(per_hour))]
    gaps = [b.at - a.at for a, b in pairwise(fake.wire)]
    errors = [r.error for r in runs if r.error]
    print(f"{channels} channels, {hours} hourly rounds; start-up: {start_up} requests "
          f"({', '.join(c.method for c in fake.wire[:start_up])})")
    print(f"  first run: {first_round / channels:.2f} requests per channel "
          f"({first_round} for {channels} channels)")
    print(f"  later runs: {statistics.mean(later) / channels:.2f} requests per channel on average; "
          f"{min(later) / channels:.2f}-{max(later) / channels:.2f} per round")
    print(f"  requests per hour (steady state): mean {statistics.mean(steady):.0f}, most {max(steady)}")
    print(f"  shortest gap between two requests: {min(gaps):.3f} s; methods: "
          f"{dict(Counter(c.method for c in fake.wire).most_common())}")
    print(f"  a round of {channels} channels took {min(took) / H * 60:.0f}-{max(took) / H * 60:.0f} min "
          f"of the virtual clock; runs with an error: {len(errors)}")
    return 0 if not errors and min(gaps) >= 1.0 else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_wire", description=__doc__)
    parser.add_argument("--channels", type=int, default=40)
    parser.add_argument("--hours", type=int, default=6)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(measure(args.channels, args.hours, Path(folder)))


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
