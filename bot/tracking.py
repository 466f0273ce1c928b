"""/channels, /pause, /resume, /remove_channel: read from storage, changed through the collector."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from collector.service import Collector
from storage.channels import ChannelRepo
from storage.counts import ChannelCounts, channel_counts
from storage.db import read
from storage.models import Channel


async def find_channel(engine: AsyncEngine, username: str) -> Channel | None:
    async with read(engine) as conn:
        return await ChannelRepo(conn).get_by_username(username)


async def get_channel(engine: AsyncEngine, channel_id: int) -> Channel | None:
    async with read(engine) as conn:
        return await ChannelRepo(conn).get(channel_id)


async def list_channels(engine: AsyncEngine) -> tuple[list[Channel], dict[int, ChannelCounts]]:
    async with read(engine) as conn:
        return await ChannelRepo(conn).list_all(), await channel_counts(conn)


async def posts_stored(engine: AsyncEngine, channel_id: int) -> int:
    async with read(engine) as conn:
        counts = await channel_counts(conn)
    return counts.get(channel_id, ChannelCounts()).posts


async def set_paused(collector: Collector, channel: Channel, pause: bool) -> bool:
    """Pause or resume collecting (resuming a failed channel retries it); False when nothing changes."""
    if (pause and channel.status == "paused") or (not pause and channel.status in ("queued", "active")):
        return False
    if pause:
        await collector.pause(channel.id)  # also stops its run if it is being collected now
    else:
        await collector.resume(channel.id)
    return True


async def remove_channel(collector: Collector, channel: Channel, keep_data: bool) -> None:
    """Stop tracking; with `keep_data` the posts stay for /stats and /export."""
    await collector.remove(channel.id, keep_data)
