"""The last line of defence: log the unexpected, tell the person something went wrong."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

log = logging.getLogger("bot.errors")

SOMETHING_WRONG = "Something went wrong; it was logged. Please try again, or /help."


async def on_error(event: ErrorEvent) -> bool:
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    update = event.update
    try:
        if update.message is not None:
            await update.message.answer(SOMETHING_WRONG, parse_mode=None)
        elif update.callback_query is not None:
            await update.callback_query.answer(SOMETHING_WRONG[:200])
    except TelegramAPIError as exc:
        # The reply itself can fail (the chat blocked us, Telegram is down): the log has it.
        log.warning("could not tell the user about the error: %s", exc)
    return True


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
