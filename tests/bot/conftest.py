"""The bot under test: the production Bot and Dispatcher, polling the sandbox Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_bot, create_dispatcher
from bot.digest.jobs import Digests
from bot.notifier import BotNotifier
from clock import VirtualClock
from collector.pacing import PacingConfig
from collector.service import Collector
from sandbox.botapi import DEFAULT_TOKEN, BotAPIServer
from sandbox.botapi_records import SentMessage
from sandbox.collector import sandbox_collector
from sandbox.telegram import SandboxTelegram
from settings import Settings, load_settings

ADMIN = 1001
OTHER_ADMIN = 1002
STRANGER = 2002


@pytest.fixture
async def botapi() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer() as server:
        yield server


@pytest.fixture
def settings(botapi: BotAPIServer, db_url: str) -> Settings:
    return load_settings(
        env_file=None,
        bot_token=DEFAULT_TOKEN,
        admin_ids=[ADMIN, OTHER_ADMIN],
        bot_api_url=botapi.base_url,
        database_url=db_url,
        digest_timezone="Europe/Berlin",
    )


async def until(predicate: Callable[[], Any], within: float = 60.0) -> None:
    """Wait for something the bot does in the background (start-up calls, a log line); `within` is a
    hang guard, not a speed test."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - the condition lives in another component
            await asyncio.sleep(0.01)


class InFlight:
    """An outer middleware counting the updates the dispatcher is handling."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def idle(self) -> None:
        await self._idle.wait()


@dataclass
class Harness:
    """Drive the running bot as a Telegram user would, and read what it answers."""

    server: BotAPIServer
    engine: AsyncEngine
    clock: VirtualClock
    collector: Collector
    telegram: SandboxTelegram
    digests: Digests
    handling: InFlight

    async def ask(self, text: str, user: int = ADMIN, count: int = 1, **kw: Any) -> list[SentMessage]:
        """Send `text` as `user` and wait for the bot's next `count` messages in that chat."""
        await self.server.send_message(user, text, **kw)
        return await self.server.next_messages(kw.get("chat_id", user), count, within=60)

    async def ask_one(self, text: str, user: int = ADMIN, **kw: Any) -> SentMessage:
        return (await self.ask(text, user, 1, **kw))[0]

    async def ask_all(self, text: str, user: int = ADMIN, **kw: Any) -> list[SentMessage]:
        """Send `text`, wait for the first reply, then for the bot to have handled it and the
        collector to have finished what it woke: everything the bot said meanwhile. (Waiting for a
        quiet spell instead failed on a loaded machine, where a digest's parts came slower.)"""
        first = await self.ask(text, user, 1, **kw)
        return first + await self.said_since(kw.get("chat_id", user))

    async def ask_silence(self, text: str, user: int = ADMIN, **kw: Any) -> list[SentMessage]:
        """Send `text` and return whatever the bot says once it has handled it (expected: nothing)."""
        await self.server.send_message(user, text, **kw)
        await self.server.wait_delivered()
        return await self.said_since(kw.get("chat_id", user))

    async def said_since(self, chat_id: int) -> list[SentMessage]:
        """The unread messages in `chat_id` once no update is being handled and no drain runs."""
        await asyncio.wait_for(self.handling.idle(), 60)  # a hang guard
        await asyncio.wait_for(self.collector.settled(), 60)
        return self.server.unread(chat_id)


@pytest.fixture
def clock(now: datetime) -> VirtualClock:
    """Time for the bot and the collector: it moves only when the collector's pacing sleeps."""
    return VirtualClock(now)


@pytest.fixture
async def running(
    botapi: BotAPIServer, settings: Settings, engine: AsyncEngine, clock: VirtualClock
) -> AsyncIterator[Harness]:
    """The bot polling the sandbox, wired to a collector reading the simulated Telegram."""
    botapi.open_chat(ADMIN, "Ada")  # the first admin has opened the bot; the second never has
    bot = create_bot(settings)
    notifier = BotNotifier(bot, engine, settings, clock)
    collector, telegram = sandbox_collector(engine, clock, PacingConfig.from_settings(settings), notifier)
    digests = Digests(engine, bot, settings, clock)
    dp = create_dispatcher(
        engine=engine, settings=settings, clock=clock, collector=collector, digests=digests
    )
    handling = InFlight()
    dp.update.outer_middleware(handling)
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    await until(lambda: any(method == "getupdates" for method, _ in botapi.calls))
    try:
        yield Harness(botapi, engine, clock, collector, telegram, digests, handling)
    finally:
        await collector.aclose()
        with contextlib.suppress(RuntimeError):  # polling already stopped by a failure
            await dp.stop_polling()
        await task
