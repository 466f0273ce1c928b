"""/add_channel: store the references (the collector resolves them later, once) and wake it."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands import usage
from bot.delivery import reply
from bot.render_collect import render_added
from collector.service import Collector

MAX_REFS = 50  # one message's worth; more is a paste accident, not a plan


async def cmd_add_channel(message: Message, command: CommandObject, collector: Collector) -> None:
    refs = (command.args or "").split()
    if not refs or len(refs) > MAX_REFS:
        await reply(message, usage("add_channel"))
        return
    added_by = message.from_user.id if message.from_user else None
    outcomes = await collector.enqueue(list(dict.fromkeys(refs)), added_by=added_by)
    await reply(message, render_added(outcomes, collector.load()))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="add_channel")
    router.message.register(cmd_add_channel, Command("add_channel"))
    return router
