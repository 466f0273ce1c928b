"""/channels, /pause and /resume."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.args import channel_arg
from bot.clock import Clock
from bot.delivery import reply
from bot.render_channels import paused, render_channels, resumed
from bot.tracking import list_channels, set_paused
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


async def cmd_pause(
    message: Message, command: CommandObject, engine: AsyncEngine, collector: Collector
) -> None:
    channel = await channel_arg(message, command, engine)
    if channel is not None:
        changed = await set_paused(collector, channel, pause=True)
        await reply(message, paused(channel, already=not changed))


async def cmd_resume(
    message: Message, command: CommandObject, engine: AsyncEngine, collector: Collector
) -> None:
    channel = await channel_arg(message, command, engine)
    if channel is not None:
        changed = await set_paused(collector, channel, pause=False)
        await reply(message, resumed(channel, already=not changed))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="channels")
    router.message.register(cmd_channels, Command("channels"))
    router.message.register(cmd_pause, Command("pause"))
    router.message.register(cmd_resume, Command("resume"))
    return router
