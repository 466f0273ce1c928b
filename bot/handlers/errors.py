"""The last line of defence: log the unexpected, tell the person something went wrong."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from storage.db import is_locked

log = logging.getLogger("bot.errors")

SOMETHING_WRONG = "Something went wrong; it was logged. Please try again, or /help."
# Said when the database stayed busy through every retry (see bot/locked.py): what to do, not why
# SQLite refused.
BUSY = (
    "The database is busy right now: another ChannelPulse process (collect or backup) is writing "
    "to it. Please try again in a minute."
)


async def on_error(event: ErrorEvent) -> bool:
    if is_locked(event.exception):
        log.warning("update %s: the database stayed busy through every retry", event.update.update_id)
        text = BUSY
    else:
        log.error("update %s failed", event.update.update_id, exc_info=event.exception)
        text = SOMETHING_WRONG
    update = event.update
    try:
        if update.message is not None:
            await update.message.answer(text, parse_mode=None)
        elif update.callback_query is not None:
            await update.callback_query.answer(text[:200])
    except TelegramAPIError as exc:
        # The reply itself can fail (the chat blocked us, Telegram is down): the log has it.
        log.warning("could not tell the user about the error: %s", exc)
    return True


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
