"""/help: every command with an example (the list lives in `bot/commands.py`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.delivery import reply
from bot.render_help import render_help


async def cmd_help(message: Message) -> None:
    await reply(message, render_help())


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="help")
    router.message.register(cmd_help, Command("help"))
    return router
