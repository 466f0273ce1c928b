"""/channels: every tracked channel with its status and when it is collected next."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import reply
from bot.render_channels import render_channels
from bot.tracking import list_channels
from clock import Clock
from collector.service import Collector
from settings import Settings


async def cmd_channels(
    message: Message, engine: AsyncEngine, settings: Settings, clock: Clock, collector: Collector
) -> None:
    channels, counts = await list_channels(engine)
    # The time the collector's job will really take each one, not the bare due time stored.
    collect_at = {c.id: collector.collection_time(c) for c in channels}
    text = render_channels(channels, counts, clock.now(), settings.digest_timezone, collect_at)
    await reply(message, text)


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="channels")
    router.message.register(cmd_channels, Command("channels"))
    return router
