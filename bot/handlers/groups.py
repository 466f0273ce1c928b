"""An admin's command or button in a group: one line pointing to the private chat, no channel data."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message

from bot.delivery import reply
from bot.filters import CommandForUs
from bot.render_help import only_in_private


async def point_to_private(message: Message, bot: Bot) -> None:
    await reply(message, only_in_private((await bot.me()).username))


async def point_button_to_private(query: CallbackQuery, bot: Bot) -> None:
    await query.answer(only_in_private((await bot.me()).username))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`): it sees only what the private
    router let through, so only chats that are not private."""
    router = Router(name="groups")
    router.message.register(point_to_private, CommandForUs())
    router.callback_query.register(point_button_to_private)
    return router
