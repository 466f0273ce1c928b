"""Stored data for bot tests, written through the storage repositories."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.channels import ChannelRepo
from storage.db import write
from storage.models import Channel, Post
from storage.posts import PostRepo
from storage.runs import RunRepo
from storage.subscribers import SubscriberRepo


async def add_channel(
    engine: AsyncEngine,
    username: str,
    now: datetime,
    *,
    title: str | None = None,
    status: str = "active",
    reason: str | None = None,
    posts: int = 0,
    subscribers: int | None = None,
    added_by: int | None = None,
) -> Channel:
    """A channel as the collector would leave it: resolved, with `posts` posts and a subscriber count."""
    async with write(engine) as conn:
        repo = ChannelRepo(conn)
        channel, _ = await repo.add(f"@{username}", username, added_by, now)
        collected = now - timedelta(minutes=30) if status == "active" else None
        await repo.update(
            channel.id,
            title=title,
            status=status,
            status_reason=reason,
            last_collected_at=collected,
            next_collection_at=now + timedelta(minutes=30),
        )
        if posts or subscribers is not None:
            run_id = await RunRepo(conn).start(channel.id, now - timedelta(minutes=30))
            await SubscriberRepo(conn).add(channel.id, run_id, now - timedelta(minutes=30), subscribers)
        post_repo = PostRepo(conn)
        for i in range(1, posts + 1):
            post = Post(channel.id, i, now - timedelta(hours=posts - i), text=f"post {i}", views=100 * i)
            await post_repo.upsert(post, now)
        result = await repo.get(channel.id)
    assert result is not None
    return result
