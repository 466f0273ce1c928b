"""Sending replies: split at Telegram's limits, and obey its rate limits instead of guessing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup, Message

from bot.render import split_message

log = logging.getLogger("bot.delivery")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


async def obeying_retry_after(
    call: Callable[[], Awaitable[T]], sleep: Sleep = asyncio.sleep, attempts: int = 5
) -> T:
    """Run one Bot API call; on 429 wait exactly the `retry_after` Telegram asked for, then retry."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except TelegramRetryAfter as exc:
            if attempt == attempts:
                raise
            log.warning("Telegram asked us to wait %s s before %s; waiting", exc.retry_after, exc.method)
            await sleep(exc.retry_after)
    raise AssertionError("unreachable")


async def send_html(
    bot: Bot,
    chat_id: int,
    html: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[Message]:
    """Send an HTML reply, split on line boundaries into parts of at most 4096 characters.

    The inline keyboard goes on the last part, where the question it answers ends.
    """
    return await send_parts(bot, chat_id, split_message(html), reply_markup=reply_markup, sleep=sleep)


async def send_parts(
    bot: Bot,
    chat_id: int,
    parts: Sequence[str],
    *,
    start: int = 0,
    on_sent: Callable[[int], Awaitable[None]] | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[Message]:
    """Send `parts[start:]` in order; `on_sent(n)` runs after each, n being how many are delivered,
    so a caller can record progress and a later attempt can start where this one stopped."""
    sent = []
    for index in range(start, len(parts)):
        markup = reply_markup if index == len(parts) - 1 else None
        sent.append(
            await obeying_retry_after(
                lambda part=parts[index], markup=markup: bot.send_message(chat_id, part, reply_markup=markup),
                sleep,
            )
        )
        if on_sent is not None:
            await on_sent(index + 1)
    return sent


async def reply(
    message: Message, html: str, reply_markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Answer in the chat the message came from."""
    assert message.bot is not None
    return await send_html(message.bot, message.chat.id, html, reply_markup=reply_markup)
