"""/start: the greeting, and the command menu for an admin who had not opened the bot before."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from bot.delivery import reply
from bot.render_help import render_start
from bot.startup import register_admin_commands


async def cmd_start(message: Message) -> None:
    assert message.bot is not None
    # An admin who had never opened the bot got no menu at start-up; now their chat exists.
    await register_admin_commands(message.bot, message.chat.id)
    name = message.from_user.first_name if message.from_user else "there"
    await reply(message, render_start(name))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="start")
    router.message.register(cmd_start, CommandStart())
    return router
