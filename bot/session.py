"""The Bot API HTTP session: aiogram's own, keeping alive the reply models it has built.

aiogram reads each reply as `Response[T]`, T being the method's result type. pydantic caches such
parametrised models only weakly, so every garbage collection drops them and the next reply builds
its model again: 5-12 ms of CPU on the event loop for a getUpdates or a sendMessage. In
`bench/bench_bot.py` that happened to about every second request. This session holds each reply
model it has used, so each is built once per process."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods.base import Response, TelegramMethod


class BotSession(AiohttpSession):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._reply_models: dict[Any, type[Response[Any]]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        result_type = method.__returning__
        if result_type not in self._reply_models:
            self._reply_models[result_type] = Response[result_type]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
