"""An admin's unknown command or stray text gets a pointer to /help instead of silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.delivery import reply
from bot.filters import CommandForUs


async def unknown_command(message: Message) -> None:
    await reply(message, "Unknown command. /help lists every command with an example.")


async def stray_text(message: Message) -> None:
    await reply(message, "I understand commands only. /help lists them.")


async def not_for_us(message: Message) -> None:
    """`/stats@another_bot`: none of our business, and no outsider's refusal for an admin either."""


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="fallback")
    router.message.register(unknown_command, CommandForUs())
    router.message.register(stray_text, ~F.text.startswith("/"))
    router.message.register(not_for_us)
    return router
