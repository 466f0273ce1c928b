"""Analytics timings on a large database: 30d summary, overview, charts, each beside an SQL floor.

The SQLite database is built once into ~/.cache/channelpulse-bench (outside the repository) by SQL
that generates rows inside SQLite; later runs reuse it. With `--backend postgresql` the same rows are
generated inside a throwaway PostgreSQL server (`bench/postgres_fill.py`, as bench_api does), which is
removed at the end. Figures, per backend: p50/p95 of `channel_summary` (30d) and of `overview` (30d),
each beside one hand-written SQL aggregate over the same rows (the floor), and the time to render the
charts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from analytics.charts import channel_charts, views_chart
from analytics.service import channel_summary, overview
from analytics.windows import parse_window
from storage.db import create_engine, read
from storage.migrate import open_database
from storage.queries import collapsed_posts
from storage.subscribers import subscriber_series
from storage.tables import UTCDateTime
from storage.views_24h import refresh_statement

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SPAN_DAYS = 1000  # posts spread over the last 1000 days, so 10,000 posts is ten a day
FMT = "%Y-%m-%d %H:%M:%S"
CACHE = Path.home() / ".cache" / "channelpulse-bench"


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime(FMT) + ".000000"


def build(path: Path, channels: int, posts: int, snapshots: int) -> None:
    """Fill an empty, migrated database; every row is generated inside SQLite."""
    start = NOW - timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 1440 // posts  # minutes between posts
    hours = SPAN_DAYS * 24 + 1
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;")
    seq = "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < :n) "
    # Every 20th post starts an album of three items sharing its date.
    album_i = "(i - CASE WHEN i % 20 < 3 THEN i % 20 ELSE 0 END)"
    for c in range(1, channels + 1):
        base = (c - 1) * hours + 1
        args = {"c": c, "start": _stamp(start), "now": _stamp(NOW), "step": step, "base": base}
        db.execute(
            "INSERT INTO channels (id, ref, username, title, status, added_at, last_collected_at) "
            "VALUES (:c, '@bench' || :c, 'bench' || :c, 'Bench ' || :c, 'active', :start, :now)", args,
        )
        db.execute(
            "INSERT INTO runs (id, channel_id, started_at, finished_at) " + seq +
            "SELECT :base + i, :c, strftime(:fmt, :start, '+' || i || ' hours') || '.000000', "
            "strftime(:fmt, :start, '+' || i || ' hours') || '.000000' FROM seq",
            args | {"n": hours, "fmt": FMT},
        )
        db.execute(
            "INSERT INTO subscriber_snapshots (channel_id, run_id, taken_at, subscribers) " + seq +
            "SELECT :c, :base + i, strftime(:fmt, :start, '+' || i || ' hours') || '.000000', "
            "10000 * :c + i / 10 FROM seq", args | {"n": hours, "fmt": FMT},
        )
        db.execute(
            "INSERT INTO posts (channel_id, message_id, date, text, grouped_id, first_seen_at, updated_at, "
            "views, forwards, replies, reactions, paid_reactions) " + seq +
            f"SELECT :c, i + 1, strftime(:fmt, :start, '+' || ({album_i} * :step) || ' minutes') || "
            "'.000000', 'post ' || i || ' with a few words of text, as channels write them', "
            "CASE WHEN i % 20 < 3 THEN :c * 1000000 + i / 20 END, :now, :now, "
            "500 + (i * 7919) % 4000 + CASE WHEN i % 97 = 0 THEN 20000 ELSE 0 END, "
            "i % 13, i % 7, i % 29, i % 3 FROM seq", args | {"n": posts, "fmt": FMT},
        )
        db.execute(
            "INSERT INTO counter_snapshots (channel_id, message_id, run_id, taken_at, views, forwards, "
            "replies, reactions, paid_reactions) "
            "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < :snaps) "
            f"SELECT p.channel_id, p.message_id, :base + ({album_i.replace('i', '(p.message_id - 1)')} "
            "* :step + n * 120) / 60, strftime(:fmt, p.date, '+' || (2 * n) || ' hours') || '.000000', "
            "p.views * n / :snaps, p.forwards, p.replies, p.reactions, p.paid_reactions "
            "FROM posts p, k WHERE p.channel_id = :c "
            "AND strftime(:fmt, p.date, '+' || (2 * n) || ' hours') || '.000000' <= :now "
            "ORDER BY p.message_id, n", args | {"snaps": snapshots, "fmt": FMT},
        )
        db.execute(_sqlite_sql(refresh_statement("sqlite", c)))
        db.commit()
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def _sqlite_sql(stmt: Executable) -> str:
    return str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(fn: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


# The floor: one aggregate over the posts the summary reads (both windows), reading the stored
# ~24 h views as the summary does.
# Spelled so that both SQLite and PostgreSQL run it (`deleted = false`; the hours between two dates
# per dialect, in HOURS).
SUMMARY_FLOOR = """
SELECT count(*), avg(views), sum(reactions + forwards + replies), avg(views_24h)
FROM posts WHERE channel_id = :c AND date >= :s AND date < :u AND deleted = false
"""
# For comparison, the same aggregate working the ~24 h views out of the counter snapshots, as
# ERR24 is defined (and as the summary did before posts.views_24h).
SNAPSHOT_FLOOR = """
SELECT count(*), avg(p.views), sum(p.reactions + p.forwards + p.replies),
  (SELECT avg(cs.views) FROM posts q JOIN counter_snapshots cs
     ON cs.channel_id = q.channel_id AND cs.message_id = q.message_id
   WHERE q.channel_id = :c AND q.date >= :s AND q.date < :u
     AND {hours} BETWEEN 20 AND 48)
FROM posts p WHERE p.channel_id = :c AND p.date >= :s AND p.date < :u AND p.deleted = false
"""
HOURS = {
    "sqlite": "(julianday(cs.taken_at) - julianday(q.date)) * 24",
    "postgresql": "extract(epoch FROM cs.taken_at - q.date) / 3600",
}
OVERVIEW_FLOOR = """
SELECT channel_id, count(*), avg(views), sum(reactions + forwards + replies) FROM posts
WHERE channel_id IN ({ids}) AND date >= :s AND date < :u AND deleted = false GROUP BY channel_id
"""
SUMMARY_QUERIES = 4  # channel, where its history starts, folded posts, subscriber counts


async def _interleaved(fns: list[Callable[[int], Awaitable[object]]], picks: list[int]) -> list[list[float]]:
    """Time each fn on every pick, taking turns, so a change in machine load hits them alike."""
    out: list[list[float]] = [[] for _ in fns]
    for c in picks:
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            await fn(c)
            out[i].append((time.perf_counter() - t0) * 1000)
    return out


def _dated(query: str) -> Executable:
    """`query` with :s and :u bound as stored dates, so either dialect compares like with like."""
    return text(query).bindparams(bindparam("s", type_=UTCDateTime), bindparam("u", type_=UTCDateTime))


async def measure(backend: str, url: str, channels: int, repeat: int) -> None:
    engine = create_engine(url)
    try:
        await _measure(backend, engine, channels, repeat)
    finally:
        await engine.dispose()


async def _measure(backend: str, engine: AsyncEngine, channels: int, repeat: int) -> None:
    window = parse_window("30d")
    s, u = NOW - timedelta(days=30), NOW
    # The summary reads its window and the previous one beside it, so its floor reads both.
    s2 = NOW - timedelta(days=60)
    rng = random.Random(4)

    def sql(query: str) -> Callable[[int], Awaitable[object]]:
        async def run(c: int) -> None:
            async with read(engine) as conn:
                (await conn.execute(_dated(query), {"c": c, "s": s2, "u": u})).all()
        return run

    async def round_trips(c: int) -> None:
        async with read(engine) as conn:
            for _ in range(SUMMARY_QUERIES):
                (await conn.execute(text("SELECT CAST(:c AS integer)"), {"c": c})).all()

    async def summary(c: int) -> None:
        await channel_summary(engine, c, window, NOW, "UTC")

    every_channel = list(range(1, channels + 1))
    await _interleaved([summary, sql(SUMMARY_FLOOR)], every_channel)  # warm the page cache
    picks = [rng.randint(1, channels) for _ in range(repeat)]
    summ, floor, snap_floor, trips = await _interleaved(
        [summary, sql(SUMMARY_FLOOR), sql(SNAPSHOT_FLOOR.format(hours=HOURS[backend])), round_trips], picks
    )
    ids = ",".join(str(i) for i in every_channel)
    ov_repeat = max(5, repeat // 4)

    async def whole_overview(_: int) -> None:
        await overview(engine, window, NOW)

    async def floor_overview(_: int) -> None:
        async with read(engine) as conn:
            (await conn.execute(_dated(OVERVIEW_FLOOR.format(ids=ids)), {"s": s, "u": u})).all()

    ov, ov_floor = await _interleaved([whole_overview, floor_overview], list(range(ov_repeat)))
    charts = await timed(lambda: channel_charts(engine, 1, window, NOW, "UTC"), 5)
    async with read(engine) as conn:
        every = await collapsed_posts(conn, 1, None, NOW)
        subs = await subscriber_series(conn, 1, None, NOW)
    big = await timed(lambda: views_chart(every, subs, "@bench1 — all time"), 3)

    def line(name: str, values: list[float], floor_values: list[float] | None, target: str) -> None:
        p50, p95 = pct(values, 0.5), pct(values, 0.95)
        extra = ""
        if floor_values:
            f50 = pct(floor_values, 0.5)
            extra = f"  floor p50 {f50:7.1f} ms  ratio p50/floor {p50 / f50:4.1f}x"
        print(f"{backend:<10} {name:<40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms{extra}  ({target}, "
              f"n={len(values)}; load average {os.getloadavg()[0]:.1f})", flush=True)

    line("channel_summary 30d", summ, floor, "target p95 < 50 ms, <= 3x floor")
    line("  vs the floor from snapshots", summ, snap_floor, "the 24 h views worked out per read")
    line(f"  {SUMMARY_QUERIES} empty round trips", trips, None, "what the summary's queries cost alone")
    line("overview 30d", ov, ov_floor, "target p95 < 500 ms, <= 3x floor")
    line("channel_charts 30d (2 PNGs)", charts, None, "target < 1 s")
    line(f"views_chart all time ({len(every):,} posts)", big, None, "target < 1 s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench bench_analytics")
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"],
                        help="postgresql fills a throwaway server with the same rows first (about 5 min)")
    args = parser.parse_args(argv)
    # Opened (built only if missing) either way: the PostgreSQL line names it as holding the same rows.
    path = big_database(args.cache, args.channels, args.posts, args.snapshots)
    if "sqlite" in args.backend:
        asyncio.run(measure("sqlite", f"sqlite+aiosqlite:///{path}", args.channels, args.repeat))
    if "postgresql" in args.backend:
        from bench.postgres_fill import filled_server  # it imports this module (NOW, SPAN_DAYS)

        with filled_server(args.channels, args.posts, args.snapshots, path.name) as url:
            if url is not None:
                asyncio.run(measure("postgresql", url, args.channels, args.repeat))
    return 0


def big_database(cache: Path, channels: int, posts: int, snapshots: int) -> Path:
    """The SQLite file of `channels` x `posts` x `snapshots` in `cache`, built on first use (also by
    bench_api), and the line that says what it holds."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"analytics-{channels}x{posts}x{snapshots}.db"
    url = f"sqlite+aiosqlite:///{path}"
    if not path.exists():
        partial = path.with_suffix(".building")
        partial.unlink(missing_ok=True)
        t0 = time.perf_counter()
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{partial}"))
        build(partial, channels, posts, snapshots)
        partial.rename(path)
        print(f"built {path} in {time.perf_counter() - t0:.0f} s")
    else:
        t0 = time.perf_counter()
        asyncio.run(_migrate(url))  # a database built by an older ChannelPulse is brought up to date
        print(f"opened {path} in {time.perf_counter() - t0:.1f} s")
    with sqlite3.connect(path) as db:
        n_posts = db.execute("SELECT count(*) FROM posts").fetchone()[0]
        n_snaps = db.execute("SELECT max(rowid) FROM counter_snapshots").fetchone()[0]
    print(f"database: {channels} channels, {n_posts:,} posts, {n_snaps:,} counter snapshots, "
          f"{path.stat().st_size / 1e9:.2f} GB")
    return path


async def _migrate(url: str) -> None:
    engine = await open_database(url)
    await engine.dispose()


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
