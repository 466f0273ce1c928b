"""A channel's stored posts a page at a time, sorted by a stored column and filtered by date and media
kind, for the HTTP API's post table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Post
from storage.tables import posts

SORT_COLUMNS = ("date", "views", "forwards", "replies", "reactions", "paid_reactions", "message_id")
NO_MEDIA = ""  # the media kind filter for posts without media (text only)


@dataclass(frozen=True)
class PostPage:
    total: int  # posts that pass the filter, on every page
    posts: tuple[Post, ...]


async def post_page(
    conn: AsyncConnection, channel_id: int, *, since: datetime | None, until: datetime | None,
    media_kind: str | None, sort: str, descending: bool, limit: int, offset: int,
) -> PostPage:
    """Posts of the channel published in [since, until), deleted ones included (flagged), with
    `media_kind` (NO_MEDIA: none; None: any), sorted by `sort`; unknown counters sort last either
    way, and ties by message id, so paging never repeats or skips a post."""
    if sort not in SORT_COLUMNS:
        raise ValueError(f"unknown sort {sort!r}: use one of {', '.join(SORT_COLUMNS)}")
    cond = [posts.c.channel_id == channel_id]
    if since is not None:
        cond.append(posts.c.date >= since)
    if until is not None:
        cond.append(posts.c.date < until)
    if media_kind == NO_MEDIA:
        cond.append(posts.c.media_kind.is_(None))
    elif media_kind is not None:
        cond.append(posts.c.media_kind == media_kind)
    total = (await conn.execute(select(func.count()).select_from(posts).where(*cond))).scalar_one()
    column = posts.c[sort]
    key = column.desc() if descending else column.asc()
    tie = posts.c.message_id.desc() if descending else posts.c.message_id.asc()
    stmt = select(posts).where(*cond).order_by(key.nulls_last(), tie).limit(limit).offset(offset)
    rows = await conn.execute(stmt)
    return PostPage(int(total), tuple(Post.from_row(r) for r in rows))
