"""What /channels, /pause, /resume and /remove_channel do, through the storage repositories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.channels import ChannelRepo
from storage.counts import ChannelCounts, channel_counts
from storage.db import read, write
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


async def set_paused(engine: AsyncEngine, channel: Channel, pause: bool) -> bool:
    """Pause or resume collecting; False when the channel already was in that state."""
    if pause == (channel.status == "paused"):
        return False
    async with write(engine) as conn:
        # A resumed channel starts over as queued when it was never collected, else active.
        status = "paused" if pause else ("active" if channel.last_collected_at else "queued")
        await ChannelRepo(conn).set_status(channel.id, status)
    return True


async def remove_channel(engine: AsyncEngine, channel: Channel, keep_data: bool) -> None:
    """Stop tracking; with `keep_data` the posts stay for /stats and /export (paused, never collected)."""
    async with write(engine) as conn:
        repo = ChannelRepo(conn)
        if keep_data:
            await repo.set_status(channel.id, "paused", "removed from tracking; data kept")
        else:
            await repo.remove(channel.id)
