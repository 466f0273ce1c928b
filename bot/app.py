"""Building the Bot and the Dispatcher: the one way production, the demo and the tests do it."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

from bot.handlers import get_routers
from bot.locked import RetryWhenLocked
from bot.session import BotSession
from bot.startup import on_startup
from settings import Settings, hide_secrets


def create_bot(settings: Settings) -> Bot:
    """A Bot speaking HTML by default, pointed at BOT_API_URL when it is set."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    session = (
        BotSession(api=TelegramAPIServer.from_base(settings.bot_api_url))
        if settings.bot_api_url
        else BotSession()
    )
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


class BotStartupError(Exception):
    """The bot cannot start; str() is one line saying what to do."""


async def check_token(bot: Bot) -> str:
    """Ask Telegram who we are before polling starts; returns the bot's @username."""
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        raise BotStartupError(
            "BOT_TOKEN was refused by Telegram: copy the token again from @BotFather into .env"
        ) from None
    except TelegramNetworkError as exc:
        raise BotStartupError(
            f"cannot reach the Bot API ({hide_secrets(exc.message)}): check the network or BOT_API_URL"
        ) from None
    return me.username or str(me.id)


def create_dispatcher(**deps: Any) -> Dispatcher:
    """The dispatcher with every router; `deps` (engine, settings, clock, collector, digests, ...)
    reach handlers by name through aiogram's dependency injection."""
    missing = {"engine", "settings", "clock", "collector", "digests"} - deps.keys()
    if missing:
        raise TypeError(f"create_dispatcher needs {', '.join(sorted(missing))}")
    dp = Dispatcher(**deps)
    # Outermost but for aiogram's own error middleware, so every handler, filter and inner
    # middleware is inside the retry, and what the retries could not cure reaches the errors router.
    dp.update.outer_middleware(RetryWhenLocked())
    dp.include_routers(*get_routers())
    dp.startup.register(on_startup)
    return dp
