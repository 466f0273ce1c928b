"""Thinning counter snapshots leaves every figure the analytics show as it was."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.alerts import VIRAL_CANDIDATE_AGE, VIRAL_REFERENCE_AGE, _viral
from analytics.service import channel_summary, overview, post_history
from analytics.windows import WINDOW_NAMES, parse_window
from storage import retention
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.migrate import downgrade, migrate
from storage.retention import KEEP_ALL, Snap, kept_runs, thin_snapshots
from storage.tables import counter_snapshots, posts, runs
from storage.views_24h import refresh_views_24h

H = timedelta(hours=1)
DAYS = 60


async def _hourly_channel(engine: AsyncEngine, end: datetime) -> int:
    """A channel collected hourly for 60 days up to `end`, a post every 6 h: each post snapshotted
    every run while younger than 72 h, then every 6th run until 7 days, as the collector re-reads.
    The newest post but one is viral (5x the views)."""
    start = end - timedelta(days=DAYS)
    async with write(engine) as conn:
        channel, _ = await ChannelRepo(conn).add("@hourly", "hourly", None, start)
        await ChannelRepo(conn).update(channel.id, status="active", last_collected_at=end,
                                       history_complete=True, backfill_done=True)
        hours = DAYS * 24
        await conn.execute(insert(runs), [
            {"id": i + 1, "channel_id": channel.id, "started_at": start + i * H + 7 * timedelta(minutes=1),
             "finished_at": start + i * H + 8 * timedelta(minutes=1)} for i in range(hours)
        ])
        post_rows, snap_rows = [], []
        for n in range(DAYS * 4 - 1):
            date = start + n * 6 * H + timedelta(minutes=(n * 13) % 60)
            base = 1000 + (n * 7919) % 900 + (4000 if n == DAYS * 4 - 6 else 0)
            curve = [(i + 1, start + i * H + 7 * timedelta(minutes=1)) for i in range(hours)]
            taken = [(r, at) for r, at in curve if date < at <= end and (
                at - date <= 72 * H or (at - date <= 7 * 24 * H and r % 6 == 0))]
            views = [round(base * (1 - math.exp(-(at - date) / H / 20))) for _, at in taken]
            post_rows.append({"channel_id": channel.id, "message_id": n + 1, "date": date,
                              "text": f"post {n}", "first_seen_at": date, "updated_at": end,
                              "views": views[-1] if views else None,
                              "forwards": n % 5, "reactions": n % 11, "deleted": n % 37 == 5})
            snap_rows += [{"channel_id": channel.id, "message_id": n + 1, "run_id": r, "taken_at": at,
                           "views": v, "forwards": n % 5} for (r, at), v in zip(taken, views, strict=True)]
        await conn.execute(insert(posts), post_rows)
        await conn.execute(insert(counter_snapshots), snap_rows)
        await refresh_views_24h(conn)
    return channel.id


async def _figures(engine: AsyncEngine, cid: int, now: datetime) -> dict[str, object]:
    """Every figure read from counter snapshots, directly or through posts.views_24h, recomputed."""
    async with write(engine) as conn:
        await refresh_views_24h(conn)  # as a migration or a new snapshot would
    out: dict[str, object] = {}
    for name in WINDOW_NAMES:
        window = parse_window(name)
        out[f"summary {name}"] = await channel_summary(engine, cid, window, now, "UTC")
        out[f"overview {name}"] = await overview(engine, window, now)
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(cid)
        assert channel is not None
        out["viral"] = await _viral(conn, channel, now)
        out["views_24h"] = (await conn.execute(
            select(posts.c.message_id, posts.c.views_24h).order_by(posts.c.message_id))).all()
    young = await post_history(engine, cid, DAYS * 4 - 10, now)
    out["young post history"] = young
    return out


async def _snapshot_count(engine: AsyncEngine) -> int:
    async with read(engine) as conn:
        return (await conn.execute(select(func.count()).select_from(counter_snapshots))).scalar_one()


async def _unthinned_older_than_keep_all(engine: AsyncEngine, now: datetime) -> int:
    async with read(engine) as conn:
        return (await conn.execute(
            select(func.count()).select_from(posts).where(posts.c.thinned_at.is_(None),
                                                          posts.c.date < now - KEEP_ALL))).scalar_one()


async def test_thinning_keeps_every_figure_exact(engine: AsyncEngine, now: datetime) -> None:
    cid = await _hourly_channel(engine, now)
    before = await _figures(engine, cid, now)
    assert before["viral"], "the fixture's viral post must fire, or the comparison proves little"
    assert any(v is not None for _, v in before["views_24h"])  # type: ignore[attr-defined]
    count = await _snapshot_count(engine)

    old = await _unthinned_older_than_keep_all(engine, now)
    done = await thin_snapshots(engine, now, max_posts=10_000)

    assert old > 0 and done.posts == old and await _unthinned_older_than_keep_all(engine, now) == 0
    assert done.deleted > count / 3  # a real cut: ~100 snapshots a post down to a handful
    assert await _snapshot_count(engine) == count - done.deleted
    assert await _figures(engine, cid, now) == before
    # Running again finds nothing more to do.
    assert await thin_snapshots(engine, now) == retention.Thinned()


async def test_thinning_younger_posts_would_change_the_viral_alert(
    engine: AsyncEngine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison above can fail: thinning from 7 days, as first proposed, changes a figure."""
    cid = await _hourly_channel(engine, now)
    before = await _figures(engine, cid, now)
    monkeypatch.setattr(retention, "KEEP_ALL", timedelta(days=7))
    await thin_snapshots(engine, now, max_posts=10_000)
    after = await _figures(engine, cid, now)
    assert after["viral"] != before["viral"]


def test_the_kept_age_covers_the_viral_alerts_reach() -> None:
    assert KEEP_ALL >= VIRAL_REFERENCE_AGE + VIRAL_CANDIDATE_AGE


def test_an_old_post_keeps_err24_the_milestones_and_one_a_week(now: datetime) -> None:
    published = now - timedelta(days=90)
    hours = [1, 2, 19, 23, 25, 30, 47, 50, 100, 160, 170, 200, 400, 700, 730, 1000]
    snaps = [Snap(h, published + h * H, 10 * h) for h in hours]
    # ERR24's snapshot is the nearest to 24 h with the fewer views on a tie: 23 h (230 views).
    kept = kept_runs(published, 230, snaps)
    assert kept == {
        23,  # ERR24's, and the nearest to 24 h (the earlier of two as near)
        47,  # nearest to 48 h
        170,  # nearest to 7 d (168 h)
        730,  # nearest to 30 d (720 h), and the newest of week 4 (672-840 h)
        160, 200, 400, 1000,  # the newest of weeks 0, 1, 2 and 5 (week 3 has none)
    }
    # ERR24 is kept even where it is not the nearest to 24 h (views_24h as stored decides).
    assert 30 in kept_runs(published, 300, snaps)
    # Thinning what was kept keeps it all.
    assert kept_runs(published, 230, [s for s in snaps if s.run_id in kept]) == kept


async def test_the_migration_thins_an_existing_database(
    engine: AsyncEngine, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    cid = await _hourly_channel(engine, now)
    before = await _figures(engine, cid, now)
    count = await _snapshot_count(engine)
    await downgrade(engine, "0010_account_ledger")
    with caplog.at_level(logging.INFO, logger="storage"):
        await migrate(engine)
    # It may take minutes on a big database: the log says what it is doing.
    progress = [r.getMessage() for r in caplog.records if "upgrading the database (once)" in r.getMessage()]
    assert progress and "deleted" in progress[-1]
    assert await _snapshot_count(engine) < count * 2 / 3
    assert await _unthinned_older_than_keep_all(engine, now - 10 * timedelta(minutes=1)) == 0
    # "now" for the migration was the newest snapshot, a few minutes before the test's now.
    assert await _figures(engine, cid, now) == before
