"""/export: a channel's posts (or its counter snapshots) as a CSV document."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.export import load_export, render_export
from bot.args import ref_arg, tracked
from bot.commands import usage
from bot.delivery import obeying_retry_after, reply
from bot.render import heading


async def cmd_export(message: Message, command: CommandObject, engine: AsyncEngine) -> None:
    parsed = await ref_arg(message, command, words=2)
    if parsed is None:
        return
    ref, rest = parsed
    if rest not in ([], ["series"]):
        await reply(message, usage("export"))
        return
    channel = await tracked(message, engine, ref)
    if channel is None:
        return
    series = bool(rest)
    data = await load_export(engine, channel.id, series=series)
    # Building the CSV of 100k snapshots takes a second: off the event loop, so the bot keeps answering.
    body = await asyncio.to_thread(lambda: render_export(data, "csv").encode("utf-8"))
    name = f"{channel.username}-{'snapshots' if series else 'posts'}.csv"
    what = "counter snapshots" if series else "posts"
    document = BufferedInputFile(body, name)
    await obeying_retry_after(
        lambda: message.answer_document(document, caption=f"{heading(channel)}: {data.rows} {what}")
    )


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="export")
    router.message.register(cmd_export, Command("export"))
    return router
