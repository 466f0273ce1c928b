"""/dashboard: a one-time link that logs the admin's browser into the web dashboard."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import reply
from bot.render_tokens import dashboard_link
from clock import Clock
from settings import Settings
from storage.dashboard_auth import LOGIN_TTL, issue_login


async def cmd_dashboard(
    message: Message, engine: AsyncEngine, clock: Clock, settings: Settings, wall_clock: Clock | None = None
) -> None:
    # A link lasts real minutes: on the system's clock when the app runs on a faster one (sandbox).
    secret = await issue_login(engine, (wall_clock or clock).now())
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    served = settings.api_port is not None or settings.api_public_url is not None
    await reply(message, dashboard_link(settings.dashboard_login_url(secret), minutes, served))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="dashboard")
    router.message.register(cmd_dashboard, Command("dashboard"))
    return router
