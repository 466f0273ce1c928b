"""/stats: one channel's summary over a window, or the overview of every channel."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary, overview
from bot.args import ref_and_window, tracked
from bot.delivery import reply
from bot.render_stats import render_overview, render_summary
from clock import Clock
from settings import Settings


async def cmd_stats(
    message: Message, command: CommandObject, engine: AsyncEngine, settings: Settings, clock: Clock
) -> None:
    parsed = await ref_and_window(message, command, need_ref=False)
    if parsed is None:
        return
    ref, window = parsed
    if ref is None:
        rows = await overview(engine, window, clock.now())
        await reply(message, render_overview(rows, window.label, settings.digest_timezone))
        return
    channel = await tracked(message, engine, ref)
    if channel is not None:
        summary = await channel_summary(engine, channel.id, window, clock.now(), settings.digest_timezone)
        await reply(message, render_summary(summary))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="stats")
    router.message.register(cmd_stats, Command("stats"))
    return router
