"""At start-up: show the command menu to admins only (per-chat scopes), never to everyone."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.commands import COMMANDS
from settings import Settings

log = logging.getLogger("bot.startup")


def bot_commands() -> list[BotCommand]:
    return [BotCommand(command=spec.name, description=spec.description) for spec in COMMANDS]


async def register_admin_commands(bot: Bot, chat_id: int) -> bool:
    """Show the full menu in one admin's chat; False when Telegram does not know that chat yet."""
    try:
        await bot.set_my_commands(bot_commands(), scope=BotCommandScopeChat(chat_id=chat_id))
    except (TelegramBadRequest, TelegramForbiddenError) as exc:
        log.warning(
            "command menu not set for admin %s (%s): they have not opened the bot yet; "
            "it is set when they send /start",
            chat_id,
            exc.message,
        )
        return False
    return True


async def on_startup(bot: Bot, settings: Settings) -> None:
    # Non-admins see no command menu at all; each admin gets the full one in their own chat.
    await bot.delete_my_commands(scope=BotCommandScopeDefault())
    for admin_id in settings.admin_ids:
        await register_admin_commands(bot, admin_id)
