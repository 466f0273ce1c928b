"""/chart: a channel's charts over a window, sent as photos."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.charts import channel_charts
from bot.args import ref_and_window, tracked
from bot.delivery import obeying_retry_after, reply
from bot.render import caption, esc, heading
from clock import Clock
from settings import Settings


async def cmd_chart(
    message: Message, command: CommandObject, engine: AsyncEngine, settings: Settings, clock: Clock
) -> None:
    parsed = await ref_and_window(message, command, need_ref=True)
    if parsed is None or parsed[0] is None:
        return
    ref, window = parsed
    channel = await tracked(message, engine, ref)
    if channel is None:
        return
    if channel.last_collected_at is None:
        await reply(message, f"{heading(channel)} is not collected yet; no chart.")
        return
    pngs = await channel_charts(engine, channel.id, window, clock.now(), settings.digest_timezone)
    name = heading(channel)
    captions = (
        f"{name}: views per post and subscribers, {window.label}",
        f"{name}: median views by weekday and hour ({esc(settings.digest_timezone)}), {window.label}",
    )
    for index, png in enumerate(pngs):
        photo = BufferedInputFile(png, f"{channel.username}-{window.name}-{index + 1}.png")
        text = caption(captions[index] if index < len(captions) else name)
        await obeying_retry_after(lambda photo=photo, text=text: message.answer_photo(photo, caption=text))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="chart")
    router.message.register(cmd_chart, Command("chart"))
    return router
