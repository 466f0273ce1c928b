"""/accounts: the collector accounts, each with its load, ledger line and state."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import reply
from bot.render_accounts import render_accounts
from clock import Clock
from collector.account_roster import get_roster
from collector.pacing import PacingConfig
from settings import Settings


async def cmd_accounts(message: Message, engine: AsyncEngine, settings: Settings, clock: Clock) -> None:
    roster = await get_roster(engine, clock, PacingConfig.from_settings(settings),
                              settings.collect_interval_minutes)
    await reply(message, render_accounts(roster, clock.now()))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="accounts")
    router.message.register(cmd_accounts, Command("accounts"))
    return router
