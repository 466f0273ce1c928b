"""Database size after one simulated year of hourly collection, without and with snapshot thinning.

Run: `.venv/bin/python -m bench bench_retention` (5 channels simulated; more with
`python -m bench.bench_retention --channels 10`).

The model: each channel posts 10 times a day and is collected every hour; each run stores a run
row, a subscriber count and a counter snapshot of every post younger than 7 days (with 70 such
posts a channel, the collector's re-read plan takes them all: fewer than 72 h old every run, the
rest in the room left in the same request of 100 ids). Rows go straight into a migrated SQLite
file in bulk; the thinning is the production code (storage/retention.py), run once per simulated
day with a day's worth of the collector's per-round bound. Fewer channels than 100 are simulated
and the sizes scaled linearly (every channel adds the same rows), which the output says.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from storage.migrate import open_database
from storage.retention import POSTS_PER_CALL, thin_batch
from storage.size import DatabaseSize

START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 365
TARGET_CHANNELS = 100
POST_HOURS = (7, 8, 9, 10, 12, 14, 16, 18, 20, 22)  # 10 posts a day
RECENT = timedelta(days=7)
TEXT = "A post of about three hundred characters, as channels write them. " * 4
PACING = json.dumps({"message": 24.5, "batch": 30.0, "extended": 20.0, "channel": 8.0,
                     "request_gap": 3.0, "flood_wait": 0.0})
REACTIONS = json.dumps({"👍": 120, "❤": 45, "🔥": 12})


def _ts(at: datetime) -> str:
    # As SQLAlchemy stores a UTC datetime in SQLite (storage/tables.py's UTCDateTime).
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _views(base: int, age_hours: float) -> int:
    return round(base * (1 - math.exp(-age_hours / 20)))


async def _migrated(path: Path) -> None:
    await (await open_database(f"sqlite+aiosqlite:///{path}")).dispose()


def _hours(day: int) -> Iterator[datetime]:
    for h in range(24):
        yield START + timedelta(days=day, hours=h)


def _simulate(path: Path, channels: int, thin: bool) -> tuple[int, float]:
    """Write a year into `path`; (snapshots written, seconds spent thinning)."""
    asyncio.run(_migrated(path))
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")  # a bench's build; the size does not depend on it
    db.executemany(
        "INSERT INTO channels (id, ref, username, status, added_at) VALUES (?, ?, ?, 'active', ?)",
        [(c, f"@c{c}", f"c{c}", _ts(START)) for c in range(1, channels + 1)],
    )
    engine = create_engine(f"sqlite:///{path}") if thin else None
    recent: dict[int, list[tuple[int, datetime, int]]] = {c: [] for c in range(1, channels + 1)}
    last_id = dict.fromkeys(recent, 0)
    run_id, written, thinning = 0, 0, 0.0
    for day in range(DAYS):
        for now in _hours(day):
            runs, subs, new, snaps = [], [], [], []
            for c in range(1, channels + 1):
                run_id += 1
                runs.append((run_id, c, _ts(now), _ts(now + timedelta(minutes=2)), PACING))
                subs.append((c, run_id, _ts(now), 50_000 + run_id % 977))
                if now.hour in POST_HOURS:
                    last_id[c] = mid = last_id[c] + 1
                    date = now - timedelta(minutes=30)
                    base = 5000 + (mid * 7919 + c) % 4000
                    # views_24h: the 23.5 h snapshot, as ERR24's rule picks between 23.5 h and 24.5 h
                    # (as near; the fewer views).
                    new.append((c, mid, _ts(date), TEXT, _ts(date), _ts(now), _views(base, 24 * 7),
                                _views(base, 23.5)))
                    recent[c].append((mid, date, base))
                recent[c] = [p for p in recent[c] if now - p[1] <= RECENT]
                for mid, date, base in recent[c]:
                    age = (now - date) / timedelta(hours=1)
                    snaps.append((c, mid, run_id, _ts(now), _views(base, age), 3, 1, 180, 0, REACTIONS))
            db.executemany("INSERT INTO runs (id, channel_id, started_at, finished_at, pacing_seconds) "
                           "VALUES (?, ?, ?, ?, ?)", runs)
            db.executemany("INSERT INTO subscriber_snapshots (channel_id, run_id, taken_at, subscribers) "
                           "VALUES (?, ?, ?, ?)", subs)
            db.executemany("INSERT INTO posts (channel_id, message_id, date, text, first_seen_at, "
                           "updated_at, views, views_24h) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", new)
            db.executemany("INSERT INTO counter_snapshots (channel_id, message_id, run_id, taken_at, views, "
                           "forwards, replies, reactions, paid_reactions, reactions_json) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", snaps)
            written += len(snaps)
        db.commit()
        if engine is not None:
            began = time.perf_counter()
            with engine.begin() as conn:  # the day's 24 rounds, each bounded to POSTS_PER_CALL
                done, end = 0, START + timedelta(days=day + 1)
                while done < 24 * POSTS_PER_CALL and (step := thin_batch(conn, end).posts):
                    done += step
            thinning += time.perf_counter() - began
    db.close()
    if engine is not None:
        engine.dispose()
    return written, thinning


def _size(path: Path) -> DatabaseSize:
    db = sqlite3.connect(path)
    try:
        pages, free, page = (db.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
        rows = db.execute("SELECT COUNT(*) FROM counter_snapshots").fetchone()[0]
    finally:
        db.close()
    wal = path.with_name(path.name + "-wal")
    on_disk = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    print(f"    counter snapshots kept: {rows:,}")
    return DatabaseSize((pages - free) * page, on_disk)


def _mib(n: float, scale: float) -> str:
    return f"{n * scale / 2**20:,.0f} MiB" if n * scale < 2**30 else f"{n * scale / 2**30:.2f} GiB"


def _report(what: str, size: DatabaseSize, scale: float) -> None:
    assert size.file_bytes is not None
    print(f"  {what}: {_mib(size.file_bytes, scale)} on disk, {_mib(size.used_bytes, scale)} in use"
          f" (simulated: {_mib(size.file_bytes, 1)} / {_mib(size.used_bytes, 1)})", flush=True)


def _checkpoint(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_retention")
    parser.add_argument("--channels", type=int, default=5,
                        help=f"channels simulated; sizes are scaled to {TARGET_CHANNELS} (default 5)")
    args = parser.parse_args(argv)
    scale = TARGET_CHANNELS / args.channels
    print(f"one year of {TARGET_CHANNELS} channels collected hourly, 10 posts a day each "
          f"({args.channels} simulated, sizes scaled x{scale:g})")
    with tempfile.TemporaryDirectory() as tmp:
        for thin in (False, True):
            path = Path(tmp) / f"year-{'thinned' if thin else 'kept'}.db"
            began = time.perf_counter()
            written, thinning = _simulate(path, args.channels, thin)
            _checkpoint(path)
            print(f"  {'with' if thin else 'without'} thinning: {written:,} snapshots written in "
                  f"{time.perf_counter() - began:.0f} s" + (f", {thinning:.1f} s of it thinning "
                  f"({thinning / DAYS * 1000:.0f} ms a day)" if thin else ""))
            _report("database after the year", _size(path), scale)
            if not thin:
                began = time.perf_counter()
                engine = create_engine(f"sqlite:///{path}")
                with engine.begin() as conn:  # as migration 0011 thins an existing database
                    while thin_batch(conn, START + timedelta(days=DAYS), 5000).posts:
                        pass
                engine.dispose()
                _checkpoint(path)
                print(f"  thinning that year at once (migration 0011's loop): "
                      f"{time.perf_counter() - began:.0f} s")
                _report("after it", _size(path), scale)
                began = time.perf_counter()
                db = sqlite3.connect(path)
                db.execute("VACUUM")
                db.close()
                print(f"  VACUUM: {time.perf_counter() - began:.0f} s")
                _report("after the VACUUM", _size(path), scale)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
