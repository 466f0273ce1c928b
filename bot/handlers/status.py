"""/status: the collector's live state, answered at once even while it sits in a pause."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.delivery import reply
from bot.render_collect import render_status
from clock import Clock
from collector.service import Collector
from settings import Settings


async def cmd_status(message: Message, collector: Collector, settings: Settings, clock: Clock) -> None:
    await collector.refresh_account()  # the ledger as of now, also in the middle of a run
    await reply(message, render_status(collector.state(), settings.digest_timezone, clock.now()))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="status")
    router.message.register(cmd_status, Command("status"))
    return router
