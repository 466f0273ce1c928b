"""Updates that meet "database is locked": handled again, but only while that cannot repeat anything.

Writes already wait out a lock at their BEGIN (`storage.db.write`), before their body runs. What
can still meet one is a read (SQLite in WAL mode blocks readers only in rare cases, such as another
process holding an exclusive lock) or a write whose own retries ran out. The whole update is then
handled again after a pause, but only if it has neither called the Bot API (no reply, no button
answer) nor committed a write: otherwise a second run could say or store something twice. Whatever
is not handled again reaches the errors handler, which tells the person in one line to try later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject, Update
from sqlalchemy.exc import OperationalError

from storage import db
from storage.db import counting_writes, is_locked

log = logging.getLogger("bot.locked")

Sleep = Callable[[float], Awaitable[None]]
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class _ApiCalls:
    made: int = 0


_calls: ContextVar[_ApiCalls | None] = ContextVar("pulse_api_calls", default=None)


async def count_api_call(
    make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
) -> Any:
    """Session middleware: counts the calls made while an update is handled (the call may have
    reached Telegram even if it then fails, so it counts before it is made)."""
    if (calls := _calls.get()) is not None:
        calls.made += 1
    return await make_request(bot, method)


class RetryWhenLocked(BaseMiddleware):
    """Outer update middleware: handle an update again after a lock, while nothing was said or written."""

    def __init__(self, backoff: Sequence[float] | None = None, sleep: Sleep = asyncio.sleep) -> None:
        # None: the pauses writes use (storage.db.LOCK_BACKOFF), read when an update arrives.
        self.backoff, self.sleep = backoff, sleep

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot = data.get("bot")
        if isinstance(bot, Bot) and count_api_call not in bot.session.middleware:
            # Installed on the bot the update arrived with, so no Bot can miss the counting.
            bot.session.middleware.register(count_api_call)
        backoff = db.LOCK_BACKOFF if self.backoff is None else self.backoff
        for attempt, pause in enumerate((*backoff, None), start=1):
            calls = _ApiCalls()
            token = _calls.set(calls)
            try:
                with counting_writes() as writes:
                    return await handler(event, data)
            except OperationalError as exc:
                # A write gives up only after its own retries: running the update again would
                # only make the person wait that long again for the same answer.
                if pause is None or not is_locked(exc) or calls.made or writes.committed or writes.gave_up:
                    raise  # the errors handler answers it
                update_id = event.update_id if isinstance(event, Update) else "?"
                log.warning(
                    "update %s: the database is busy before anything was sent or written; "
                    "handling it again in %.1f s (attempt %d)", update_id, pause, attempt,
                )
            finally:
                _calls.reset(token)
            await self.sleep(pause)
        raise AssertionError("unreachable")
