"""/pause and /resume: stop collecting a channel, keeping its data; collect it again from the next
round. One handler, as the two differ only in the direction."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.args import channel_arg
from bot.delivery import reply
from bot.render_channels import paused, resumed
from bot.tracking import set_paused
from collector.service import Collector


async def cmd_pause_or_resume(
    message: Message, command: CommandObject, engine: AsyncEngine, collector: Collector
) -> None:
    pause = command.command == "pause"
    channel = await channel_arg(message, command, engine)
    if channel is not None:
        changed = await set_paused(collector, channel, pause=pause)
        await reply(message, (paused if pause else resumed)(channel, already=not changed))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="pause")
    router.message.register(cmd_pause_or_resume, Command("pause", "resume"))
    return router
