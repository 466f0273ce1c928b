"""Counter snapshots thinned with age: a post keeps every snapshot while analytics may still compare
it at any age, then only the ones a figure reads or a history is drawn from.

What reads counter snapshots, and why this keeps every figure exact:
- ERR24 reads `posts.views_24h`, the snapshot nearest 24 h of age in [20 h, 48 h]
  (storage/views_24h.py). That snapshot is kept, so recomputing it from the kept ones gives the
  same value: the nearest of a subset that holds the nearest is the nearest.
- The viral alert (analytics/alerts.py) compares a post up to 7 days old with every post of the
  30 days before it, at the same age: posts younger than KEEP_ALL keep every snapshot.
- `/post` and `export --series` list a post's snapshots: for older posts, the kept ones.
Thinning a thinned post again keeps the same snapshots, so the rule can run any number of times.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import write
from storage.tables import counter_snapshots, posts

log = logging.getLogger("storage.retention")

# The viral alert reaches back 7 + 30 days (analytics/alerts.py); one day more as a margin.
KEEP_ALL = timedelta(days=38)
MILESTONES = (timedelta(hours=24), timedelta(hours=48), timedelta(days=7), timedelta(days=30))
WEEK = timedelta(days=7)
# Where ERR24 looks (storage/views_24h.py), with its second of slack for julianday's rounding.
ERR24_BAND = (timedelta(hours=20, seconds=-1), timedelta(hours=48, seconds=1))
BATCH_POSTS = 200  # posts per write transaction, so a writer waits at most one short batch
POSTS_PER_CALL = 2000  # per collection round: more than a round's worth of posts ageing past KEEP_ALL


@dataclass(frozen=True)
class Snap:
    run_id: int
    taken_at: datetime
    views: int | None


@dataclass(frozen=True)
class Thinned:
    posts: int = 0  # posts thinned
    deleted: int = 0  # snapshots deleted

    def __add__(self, other: Thinned) -> Thinned:
        return Thinned(self.posts + other.posts, self.deleted + other.deleted)


def kept_runs(published: datetime, views_24h: int | None, snaps: Iterable[Snap]) -> set[int]:
    """The run ids of the snapshots an old post keeps: ERR24's, the nearest to 24 h, 48 h, 7 d and
    30 d of age, and the newest of each week of age."""
    aged = [(s.taken_at - published, s) for s in snaps]
    if not aged:
        return set()
    keep = {
        s.run_id for age, s in aged
        if views_24h is not None and s.views == views_24h and ERR24_BAND[0] <= age <= ERR24_BAND[1]
    }
    for target in MILESTONES:
        keep.add(min(aged, key=lambda a: (abs(a[0] - target), a[0]))[1].run_id)
    newest: dict[int, tuple[timedelta, Snap]] = {}
    for age, s in aged:
        week = age // WEEK
        if week not in newest or age >= newest[week][0]:
            newest[week] = (age, s)
    keep |= {s.run_id for _, s in newest.values()}
    return keep


def thin_batch(conn: Connection, now: datetime, limit: int = BATCH_POSTS) -> Thinned:
    """Thin up to `limit` posts older than KEEP_ALL not thinned yet, oldest first (sync: the
    migration calls it directly, the running process through `run_sync`)."""
    cs = counter_snapshots
    due = (
        select(posts.c.channel_id, posts.c.message_id, posts.c.date, posts.c.views_24h)
        .where(posts.c.thinned_at.is_(None), posts.c.date < now - KEEP_ALL)
        .order_by(posts.c.date).limit(limit)
    )
    chosen = conn.execute(due).all()
    if not chosen:
        return Thinned()
    picked = due.subquery()
    rows = conn.execute(
        select(cs.c.channel_id, cs.c.message_id, cs.c.run_id, cs.c.taken_at, cs.c.views)
        .join(picked, and_(cs.c.channel_id == picked.c.channel_id, cs.c.message_id == picked.c.message_id))
    ).all()
    by_post: dict[tuple[int, int], list[Snap]] = {}
    for channel_id, message_id, run_id, taken_at, views in rows:
        by_post.setdefault((channel_id, message_id), []).append(Snap(run_id, taken_at, views))
    deleted = 0
    for channel_id, message_id, date, views_24h in chosen:
        snaps = by_post.get((channel_id, message_id), [])
        keep = kept_runs(date, views_24h, snaps)
        if len(keep) < len(snaps):
            # One statement a post: row by row, binding the parameters cost more than the deletes.
            conn.execute(delete(cs).where(cs.c.channel_id == channel_id, cs.c.message_id == message_id,
                                          cs.c.run_id.not_in(keep)))
            deleted += len(snaps) - len(keep)
    conn.execute(
        update(posts).where(posts.c.channel_id == bindparam("c"), posts.c.message_id == bindparam("m"))
        .values(thinned_at=now),
        [{"c": c, "m": m} for c, m, _, _ in chosen],
    )
    return Thinned(len(chosen), deleted)


def database_now(conn: Connection) -> datetime | None:
    """The newest snapshot's time: "now" for a migration, which has no clock of the process."""
    return conn.execute(select(func.max(counter_snapshots.c.taken_at))).scalar_one()


async def thin_snapshots(engine: AsyncEngine, now: datetime, max_posts: int = POSTS_PER_CALL) -> Thinned:
    """Thin at most `max_posts` posts, in short write transactions; what was done."""
    done = Thinned()
    while done.posts < max_posts:
        async with write(engine) as conn:
            step = await conn.run_sync(thin_batch, now, min(BATCH_POSTS, max_posts - done.posts))
        done += step
        if step.posts == 0:
            break
    return done


async def thin_between_rounds(engine: AsyncEngine, now: datetime) -> None:
    """A collection round's share of thinning (both collectors call it between rounds, so no channel
    run waits for it); a database busy with another writer is left for the next round."""
    try:
        done = await thin_snapshots(engine, now)
    except OperationalError as exc:
        log.warning("could not thin counter snapshots this round: %s", exc)
        return
    if done.posts:
        log.info("thinned the counter snapshots of %d post(s): %d deleted", done.posts, done.deleted)
