"""An admin's unknown command or stray text gets a pointer to /help instead of silence."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.delivery import reply


async def unknown_command(message: Message, bot: Bot) -> None:
    _, _, mention = (message.text or "").split(maxsplit=1)[0].partition("@")
    if mention and mention.lower() != ((await bot.me()).username or "").lower():
        return  # in a group, a command for another bot is none of our business
    await reply(message, "Unknown command. /help lists every command with an example.")


async def stray_text(message: Message) -> None:
    await reply(message, "I understand commands only. /help lists them.")


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="fallback")
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(stray_text, F.chat.type == "private")
    return router
