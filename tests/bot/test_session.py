"""The bot's HTTP session builds each Bot API reply model once, not again after every garbage
collection: a rebuild costs milliseconds of the event loop on every poll and every answer
(bot/session.py)."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods.base import Response
from aiogram.types import Message, Update

from bot.app import create_bot
from sandbox.botapi import BotAPIServer
from settings import Settings


async def test_reply_models_outlive_a_garbage_collection(settings: Settings, botapi: BotAPIServer) -> None:
    botapi.open_chat(42, "Ada")
    bot = create_bot(settings)
    try:
        await bot.send_message(42, "hello")
        await bot.get_updates(timeout=0)
        # pydantic keeps parametrised models weakly: only the session's hold keeps these alive.
        models = [weakref.ref(Response[Message]), weakref.ref(Response[list[Update]])]
        gc.collect()
        assert [model() is not None for model in models] == [True, True]
    finally:
        await bot.session.close()
