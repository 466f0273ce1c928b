"""PostRepo: posts keyed (channel_id, message_id) with their latest counters, and counter snapshots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.models import Counters, CounterSnapshot, Post
from storage.tables import counter_snapshots, posts
from storage.views_24h import refresh_views_24h

_CONTENT = ("date", "text", "media_kind", "grouped_id", "edit_date", "forward_from", "post_author")


class PostRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def upsert(self, post: Post, now: datetime) -> bool:
        """Store a post (content and latest counters); True when it was not stored before."""
        exists = await self.get(post.channel_id, post.message_id) is not None
        values = {k: getattr(post, k) for k in _CONTENT} | asdict(post.counters)
        stmt = insert_for(self.conn, posts).values(
            channel_id=post.channel_id, message_id=post.message_id, first_seen_at=now,
            updated_at=now, **values,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel_id", "message_id"],
            set_={**values, "updated_at": now, "deleted": False, "deleted_at": None},
        )
        await self.conn.execute(stmt)
        return not exists

    async def update_counters(
        self, channel_id: int, message_id: int, counters: Counters, now: datetime, **content: object
    ) -> None:
        """Refresh the latest counters (and edited content, if given) of a stored post."""
        values = asdict(counters) | content | {"updated_at": now}
        await self.conn.execute(
            update(posts).where(posts.c.channel_id == channel_id)
            .where(posts.c.message_id == message_id).values(**values)
        )

    async def mark_deleted(self, channel_id: int, message_id: int, now: datetime) -> None:
        """Flag a post Telegram no longer returns; its history stays."""
        await self.conn.execute(
            update(posts).where(posts.c.channel_id == channel_id)
            .where(posts.c.message_id == message_id).where(posts.c.deleted.is_(False))
            .values(deleted=True, deleted_at=now, updated_at=now)
        )

    async def get(self, channel_id: int, message_id: int) -> Post | None:
        stmt = select(posts).where(posts.c.channel_id == channel_id).where(
            posts.c.message_id == message_id
        )
        row = (await self.conn.execute(stmt)).first()
        return Post.from_row(row) if row else None

    async def list(
        self, channel_id: int, since: datetime | None = None, until: datetime | None = None,
        include_deleted: bool = True,
    ) -> list[Post]:
        """Posts of a channel published in [since, until), oldest first."""
        stmt = select(posts).where(posts.c.channel_id == channel_id)
        if since is not None:
            stmt = stmt.where(posts.c.date >= since)
        if until is not None:
            stmt = stmt.where(posts.c.date < until)
        if not include_deleted:
            stmt = stmt.where(posts.c.deleted.is_(False))
        rows = await self.conn.execute(stmt.order_by(posts.c.date, posts.c.message_id))
        return [Post.from_row(r) for r in rows]

    async def recent_reads(
        self, channel_id: int, since: datetime
    ) -> list[tuple[int, datetime, datetime]]:
        """(message id, published, counters last read) of live posts published since `since`."""
        stmt = (
            select(posts.c.message_id, posts.c.date, posts.c.updated_at)
            .where(posts.c.channel_id == channel_id).where(posts.c.date >= since)
            .where(posts.c.deleted.is_(False)).order_by(posts.c.message_id.desc())
        )
        return [(int(m), d, u) for m, d, u in await self.conn.execute(stmt)]

    async def add_snapshot(self, snap: CounterSnapshot) -> None:
        """Append a counter snapshot; writing it again in the same run replaces it. The post's
        views at about a day old are recomputed from its snapshots in the same transaction."""
        values = asdict(snap)
        stmt = insert_for(self.conn, counter_snapshots).values(**values)
        keys = ("channel_id", "message_id", "run_id")
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={k: v for k, v in values.items() if k not in keys}
        )
        await self.conn.execute(stmt)
        await refresh_views_24h(self.conn, snap.channel_id, snap.message_id)

    async def snapshots(
        self, channel_id: int, message_id: int | None = None, since: datetime | None = None
    ) -> list[CounterSnapshot]:
        """Counter snapshots of a channel (or one post), oldest first."""
        stmt = select(counter_snapshots).where(counter_snapshots.c.channel_id == channel_id)
        if message_id is not None:
            stmt = stmt.where(counter_snapshots.c.message_id == message_id)
        if since is not None:
            stmt = stmt.where(counter_snapshots.c.taken_at >= since)
        stmt = stmt.order_by(counter_snapshots.c.message_id, counter_snapshots.c.taken_at)
        return [CounterSnapshot.from_row(r) for r in await self.conn.execute(stmt)]

    async def iter_posts(self, channel_id: int, chunk: int = 1000) -> AsyncIterator[list[Post]]:
        """Every post of a channel, oldest first, `chunk` at a time: rows are turned into records on
        the event loop, so a big channel is read in slices that let the bot answer in between."""
        stmt = select(posts).where(posts.c.channel_id == channel_id)
        result = await self.conn.stream(stmt.order_by(posts.c.date, posts.c.message_id))
        async for part in result.partitions(chunk):
            yield [Post.from_row(r) for r in part]

    async def iter_snapshots(
        self, channel_id: int, chunk: int = 1000
    ) -> AsyncIterator[list[CounterSnapshot]]:
        """Every counter snapshot of a channel as `snapshots` orders them, `chunk` at a time."""
        stmt = select(counter_snapshots).where(counter_snapshots.c.channel_id == channel_id)
        result = await self.conn.stream(
            stmt.order_by(counter_snapshots.c.message_id, counter_snapshots.c.taken_at)
        )
        async for part in result.partitions(chunk):
            yield [CounterSnapshot.from_row(r) for r in part]

    async def count_by_channel(self) -> dict[int, int]:
        """Posts stored per channel id, deleted ones included (their history is kept)."""
        # No filter on purpose: the count is then read from the primary key index alone.
        stmt = select(posts.c.channel_id, func.count()).group_by(posts.c.channel_id)
        return {int(cid): int(n) for cid, n in await self.conn.execute(stmt)}
