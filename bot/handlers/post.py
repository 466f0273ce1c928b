"""/post: one post's counters over time, with its chart."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.charts import post_history_chart
from analytics.service import post_history
from bot.args import ref_arg, tracked
from bot.commands import usage
from bot.delivery import obeying_retry_after, reply
from bot.render import esc
from bot.render_stats import render_post_history
from clock import Clock
from settings import Settings


async def cmd_post(
    message: Message, command: CommandObject, engine: AsyncEngine, settings: Settings, clock: Clock
) -> None:
    parsed = await ref_arg(message, command)
    if parsed is None:
        return
    ref, _ = parsed
    if ref.post_id is None:
        await reply(message, f"That names a channel, not a post.\n{usage('post')}")
        return
    channel = await tracked(message, engine, ref)
    if channel is None:
        return
    history = await post_history(engine, channel.id, ref.post_id, clock.now())
    if history is None:
        await reply(message, f"Post {ref.post_id} of @{esc(channel.username)} is not stored (yet).")
        return
    await reply(message, render_post_history(history, settings.digest_timezone))
    if history.points:
        png = await post_history_chart(history)
        photo = BufferedInputFile(png, f"{channel.username}-{ref.post_id}.png")
        await obeying_retry_after(
            lambda: message.answer_photo(
                photo, caption=f"@{esc(channel.username)}/{ref.post_id}: views by age"
            )
        )


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="post")
    router.message.register(cmd_post, Command("post"))
    return router
