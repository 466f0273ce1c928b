"""The analytics benchmark's database on PostgreSQL: the same rows as `bench_analytics.build` writes
into SQLite (channels, hourly runs and subscriber counts, posts, counter snapshots, each post's ~24 h
views), generated inside the server with generate_series, so both backends are measured on one data set.

`filled_server` is what the benchmarks use: the tests' throwaway server (initdb in a temporary folder,
removed when stopped), migrated and filled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bench_analytics import NOW, SPAN_DAYS
from storage.db import write
from storage.migrate import open_database
from storage.views_24h import refresh_statement
from tests.postgres_server import ThrowawayServer, find_binaries

# Every 20th post starts an album of three items sharing its date, as in bench_analytics.build.
ALBUM_I = "(i - CASE WHEN i % 20 < 3 THEN i % 20 ELSE 0 END)"
RUNS = """
INSERT INTO runs (id, channel_id, started_at, finished_at)
SELECT :base + i, :c, CAST(:start AS timestamp) + i * interval '1 hour',
       CAST(:start AS timestamp) + i * interval '1 hour'
FROM generate_series(0, :n - 1) AS i
"""
SUBSCRIBERS = """
INSERT INTO subscriber_snapshots (channel_id, run_id, taken_at, subscribers)
SELECT :c, :base + i, CAST(:start AS timestamp) + i * interval '1 hour', 10000 * :c + i / 10
FROM generate_series(0, :n - 1) AS i
"""
POSTS = f"""
INSERT INTO posts (channel_id, message_id, date, text, grouped_id, first_seen_at, updated_at,
                   views, forwards, replies, reactions, paid_reactions)
SELECT CAST(:c AS integer), i + 1, CAST(:start AS timestamp) + ({ALBUM_I} * :step) * interval '1 minute',
       'post ' || i || ' with a few words of text, as channels write them',
       CASE WHEN i % 20 < 3 THEN CAST(:c AS integer) * 1000000 + i / 20 END,
       CAST(:now AS timestamp), CAST(:now AS timestamp),
       500 + (i * 7919) % 4000 + CASE WHEN i % 97 = 0 THEN 20000 ELSE 0 END,
       i % 13, i % 7, i % 29, i % 3
FROM generate_series(0, :n - 1) AS i
"""
OF_POST = ALBUM_I.replace("i", "(p.message_id - 1)")
SNAPSHOTS = f"""
INSERT INTO counter_snapshots (channel_id, message_id, run_id, taken_at, views, forwards, replies,
                               reactions, paid_reactions)
SELECT p.channel_id, p.message_id, :base + ({OF_POST} * :step + n * 120) / 60,
       p.date + (2 * n) * interval '1 hour', p.views * n / :snaps, p.forwards, p.replies, p.reactions,
       p.paid_reactions
FROM posts p, generate_series(1, :snaps) AS n
WHERE p.channel_id = :c AND p.date + (2 * n) * interval '1 hour' <= CAST(:now AS timestamp)
ORDER BY p.message_id, n
"""


async def fill(engine: AsyncEngine, channels: int, posts: int, snapshots: int) -> None:
    """Fill a migrated, empty PostgreSQL database, one channel per transaction."""
    start = NOW - timedelta(days=SPAN_DAYS)
    naive = {"start": start.replace(tzinfo=None), "now": NOW.replace(tzinfo=None)}
    step = SPAN_DAYS * 1440 // posts  # minutes between posts
    hours = SPAN_DAYS * 24 + 1
    for c in range(1, channels + 1):
        base = (c - 1) * hours + 1
        async with write(engine) as conn:
            # Generated rows are consistent by construction: no foreign-key check per row.
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(
                "INSERT INTO channels (id, ref, username, title, status, added_at, last_collected_at) "
                "VALUES (:c, :ref, :username, :title, 'active', :start, :now)"),
                {"c": c, "ref": f"@bench{c}", "username": f"bench{c}", "title": f"Bench {c}", **naive})
            await conn.execute(text(RUNS), {"c": c, "base": base, "n": hours, **naive})
            await conn.execute(text(SUBSCRIBERS), {"c": c, "base": base, "n": hours, **naive})
            await conn.execute(text(POSTS), {"c": c, "n": posts, "step": step, **naive})
            await conn.execute(text(SNAPSHOTS), {"c": c, "base": base, "step": step, "snaps": snapshots,
                                                 **naive})
            await conn.execute(refresh_statement("postgresql", c))
    async with write(engine) as conn:
        for table in ("channels", "runs"):
            await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


@contextmanager
def filled_server(channels: int, posts: int, snapshots: int, like: str) -> Iterator[str | None]:
    """A throwaway server holding the benchmark's rows; its SQLAlchemy URL, or None (after a line that
    says why) when no server can be started here. `like` names the SQLite file with the same rows."""
    binaries = find_binaries()
    if binaries is None:
        print("postgresql: not measured (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin)")
        yield None
        return
    server = ThrowawayServer(binaries)
    cluster = server.start()
    try:
        url = cluster.sqlalchemy_url("postgres")
        t0 = time.perf_counter()

        async def build() -> None:
            engine = await open_database(url)
            try:
                await fill(engine, channels, posts, snapshots)
            finally:
                await engine.dispose()

        asyncio.run(build())
        print(f"postgresql: filled a throwaway server on {cluster.description.split(' on ')[-1]} with the "
              f"same rows as {like} in {time.perf_counter() - t0:.0f} s", flush=True)
        yield url
    finally:
        server.stop()
