"""Everyone who is not an admin: one short neutral refusal in private, silence in groups."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

REFUSAL = "Sorry, this bot is private."


async def refuse(message: Message) -> None:
    await message.answer(REFUSAL)


async def refuse_button(query: CallbackQuery) -> None:
    await query.answer(REFUSAL)


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="outsiders")
    router.message.register(refuse, F.chat.type == "private")
    router.callback_query.register(refuse_button)
    return router
