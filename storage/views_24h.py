"""A post's views at about a day old: the snapshot nearest 24 h of age, between 20 h and 48 h.

ERR24 needs this for every post of a window. Worked out from the ~30 snapshots of each post at
read time, it was most of a summary's cost (a date parse per snapshot), so the answer is kept on
the post (`posts.views_24h`), recomputed from its snapshots whenever one is written.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Update

from storage.tables import counter_snapshots, posts

VIEWS_BASE = 10_000_000_000  # above any view count, so (distance, views) pack into one integer


def hours_between(dialect: str, start: ColumnElement, end: ColumnElement) -> ColumnElement:
    """`end - start` in hours, in the dialect's own date arithmetic."""
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


def nearest_24h_views(dialect: str) -> ColumnElement:
    """Correlated to `posts`: views at the snapshot nearest 24 h of age in [20 h, 48 h], else NULL."""
    cs = counter_snapshots
    age = hours_between(dialect, posts.c.date, cs.c.taken_at)
    # SQLite allows no outer column in a subquery's ORDER BY, so "the views of the nearest
    # snapshot" is min() over (distance in seconds, views) packed into one integer.
    packed = cast(func.round(func.abs(age - 24.0) * 3600), BigInteger) * VIEWS_BASE + cs.c.views
    nearest = select(func.min(packed)).where(
        cs.c.channel_id == posts.c.channel_id, cs.c.message_id == posts.c.message_id,
        # 20 h <= age <= 48 h as one test, with a second of slack for julianday's rounding.
        cs.c.views.is_not(None), func.abs(age - 34.0) <= 14.0 + 1 / 3600,
    ).scalar_subquery()
    return nearest % VIEWS_BASE


def refresh_statement(dialect: str, channel_id: int | None = None, message_id: int | None = None) -> Update:
    """Recompute `posts.views_24h`: for one post, one channel, or (both None) every post."""
    stmt = update(posts).values(views_24h=nearest_24h_views(dialect))
    if channel_id is not None:
        stmt = stmt.where(posts.c.channel_id == channel_id)
    if message_id is not None:
        stmt = stmt.where(posts.c.message_id == message_id)
    return stmt


async def refresh_views_24h(
    conn: AsyncConnection, channel_id: int | None = None, message_id: int | None = None
) -> None:
    await conn.execute(refresh_statement(conn.dialect.name, channel_id, message_id))
