"""/digest: subscribe this chat to scheduled digests, stop them, list them."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.schedule import next_slot
from bot.commands import usage
from bot.delivery import reply
from bot.digest.jobs import Digests
from bot.digest.parse import DigestArgsError, DigestList, DigestOff, DigestSubscribe, parse_digest_args
from bot.digest.subscriptions import NotTrackedError, chat_subscriptions, now_request, subscribe, unsubscribe
from bot.digest.texts import render_subscriptions, subscribed, unsubscribed
from bot.render import esc, when
from bot.render_channels import not_tracked
from clock import Clock
from settings import Settings


async def cmd_digest(
    message: Message,
    command: CommandObject,
    engine: AsyncEngine,
    settings: Settings,
    clock: Clock,
    digests: Digests,
) -> None:
    try:
        request = parse_digest_args(command.args, settings.digest_timezone)
    except DigestArgsError as exc:
        await reply(message, f"{esc(exc)}\n{usage('digest')}")
        return
    chat_id = message.chat.id
    try:
        if isinstance(request, DigestSubscribe):
            sub = await subscribe(engine, chat_id, request, clock.now())
            digests.schedule(sub)
            _, channels = await chat_subscriptions(engine, chat_id)
            following = next_slot(sub.cadence, sub.at_time, sub.timezone, sub.weekday, clock.now())
            await reply(message, subscribed(sub, channels, when(following, sub.timezone)))
        elif isinstance(request, DigestOff):
            deleted, narrowed = await unsubscribe(engine, chat_id, request.refs)
            digests.unschedule(deleted)
            await reply(message, unsubscribed(len(deleted), len(narrowed), bool(request.refs)))
        elif isinstance(request, DigestList):
            subs, channels = await chat_subscriptions(engine, chat_id)
            await reply(message, render_subscriptions(subs, channels))
        else:
            channel_ids, since = await now_request(engine, chat_id, request.refs, clock.now())
            await digests.send_now(chat_id, channel_ids, since)
    except NotTrackedError as exc:
        await reply(message, not_tracked(exc.username))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="digest")
    router.message.register(cmd_digest, Command("digest"))
    return router
