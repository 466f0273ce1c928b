"""/remove_channel: asks first (delete the data, keep it, or cancel) with inline buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.args import channel_arg
from bot.delivery import obeying_retry_after, reply
from bot.render import heading
from bot.render_channels import confirm_remove, removed
from bot.tracking import get_channel, posts_stored, remove_channel
from collector.service import Collector
from storage.models import Channel


class RemoveChoice(CallbackData, prefix="rm"):
    action: str  # "delete", "keep" or "cancel"
    channel_id: int
    # Ids can be given again to a channel added later: the name makes an old button harmless.
    username: str


def confirm_keyboard(channel: Channel) -> InlineKeyboardMarkup:
    def button(text: str, action: str) -> InlineKeyboardButton:
        choice = RemoveChoice(action=action, channel_id=channel.id, username=channel.username)
        return InlineKeyboardButton(text=text, callback_data=choice.pack())

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("Delete data", "delete"), button("Keep data", "keep")],
            [button("Cancel", "cancel")],
        ]
    )


async def cmd_remove_channel(message: Message, command: CommandObject, engine: AsyncEngine) -> None:
    channel = await channel_arg(message, command, engine)
    if channel is not None:
        posts = await posts_stored(engine, channel.id)
        await reply(message, confirm_remove(channel, posts), reply_markup=confirm_keyboard(channel))


async def on_remove_choice(
    query: CallbackQuery, callback_data: RemoveChoice, engine: AsyncEngine, collector: Collector
) -> None:
    channel = await get_channel(engine, callback_data.channel_id)
    if channel is None or channel.username != callback_data.username:
        text = "That channel is no longer tracked."
    elif callback_data.action == "cancel":
        text = f"Kept tracking {heading(channel)}; nothing changed."
    else:
        keep = callback_data.action == "keep"
        await remove_channel(collector, channel, keep_data=keep)
        text = removed(channel, kept=keep)
    await obeying_retry_after(query.answer)
    question = query.message
    if question is not None and hasattr(question, "edit_text"):
        # The question is replaced by its answer, so the buttons cannot be pressed twice.
        await obeying_retry_after(lambda: question.edit_text(text, reply_markup=None))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="remove_channel")
    router.message.register(cmd_remove_channel, Command("remove_channel"))
    router.callback_query.register(
        on_remove_choice, RemoveChoice.filter(F.action.in_({"delete", "keep", "cancel"}))
    )
    return router
