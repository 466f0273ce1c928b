"""Per-channel tallies for listings (/channels): posts stored and the latest subscriber count."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.posts import PostRepo
from storage.tables import subscriber_snapshots


@dataclass(frozen=True)
class ChannelCounts:
    posts: int = 0
    subscribers: int | None = None  # the newest snapshot's count; None when unknown or never seen


async def channel_counts(conn: AsyncConnection) -> dict[int, ChannelCounts]:
    """Tallies for every channel that has any, keyed by channel id (one query each, not one per channel)."""
    # The same count `python main.py status` shows: deleted posts are still stored.
    stored = await PostRepo(conn).count_by_channel()
    newest = (
        select(subscriber_snapshots.c.channel_id, func.max(subscriber_snapshots.c.taken_at).label("at"))
        .group_by(subscriber_snapshots.c.channel_id)
        .subquery()
    )
    latest = dict(
        (
            await conn.execute(
                select(subscriber_snapshots.c.channel_id, subscriber_snapshots.c.subscribers).join(
                    newest,
                    (newest.c.channel_id == subscriber_snapshots.c.channel_id)
                    & (newest.c.at == subscriber_snapshots.c.taken_at),
                )
            )
        ).all()
    )
    return {cid: ChannelCounts(stored.get(cid, 0), latest.get(cid)) for cid in set(stored) | set(latest)}
