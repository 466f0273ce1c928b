"""The collector's Notifier, implemented by the bot: people hear what happened to their channels."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.alerts import evaluate_alerts
from bot import render_collect as text
from bot.delivery import send_html
from clock import Clock
from collector.assignment import Handover
from settings import Settings
from storage.alerts import AlertRepo
from storage.db import read, write
from storage.models import Channel

log = logging.getLogger("bot.notifier")

CHANNEL_ALERT = "channel"


class BotNotifier:
    """Tells the admin who added a channel about it, and every admin about alerts (once each)."""

    def __init__(self, bot: Bot, engine: AsyncEngine, settings: Settings, clock: Clock) -> None:
        self.bot, self.engine, self.settings, self.clock = bot, engine, settings, clock
        # Admins already told a channel failed, so its "failed" alert does not tell them twice.
        self._told_failure: dict[int, set[int]] = {}

    def _owners(self, channel: Channel) -> list[int]:
        """Whoever added the channel if they are an admin, else every admin."""
        if channel.added_by is not None and channel.added_by in self.settings.admin_ids:
            return [channel.added_by]
        return list(self.settings.admin_ids)

    async def _send(self, chat_ids: Iterable[int], html: str) -> list[int]:
        """Send to each chat; one that fails is logged and skipped, never a crash in the collector."""
        delivered = []
        for chat_id in chat_ids:
            try:
                await send_html(self.bot, chat_id, html)
            except TelegramAPIError as exc:
                log.warning("could not notify chat %s: %s", chat_id, exc.message)
                continue
            delivered.append(chat_id)
        return delivered

    async def first_collection_done(self, channel: Channel, posts_stored: int) -> None:
        await self._send(self._owners(channel), text.first_collection_done(channel, posts_stored))

    async def channel_failed(self, channel: Channel, reason: str) -> None:
        told = await self._send(self._owners(channel), text.channel_failed(channel, reason))
        self._told_failure.setdefault(channel.id, set()).update(told)

    async def flood_wait_postponed(self, channel: Channel, seconds: float) -> None:
        await self._send(self._owners(channel), text.flood_postponed(channel, seconds))

    async def account_stopped(self, reason: str, handover: Handover | None = None) -> None:
        await self._send(self.settings.admin_ids, text.account_stopped(reason, handover))

    async def channel_collected(self, channel: Channel, run_id: int) -> None:
        """Evaluate the alert rules after the run and send what is new to every admin."""
        now = self.clock.now()
        # The rules record each event once; what is sent is every recorded alert of the channel not
        # yet delivered, so one that reached no admin last time is sent after this collection.
        await evaluate_alerts(self.engine, channel.id, now, self.settings.alert_subscriber_pct)
        async with read(self.engine) as conn:
            pending = [a for a in await AlertRepo(conn).undelivered() if a.channel_id == channel.id]
        told = self._told_failure.pop(channel.id, set())
        for item in pending:
            skip = told if item.kind == CHANNEL_ALERT else set()
            recipients = [a for a in self.settings.admin_ids if a not in skip]
            if recipients and not await self._send(recipients, text.alert(item.text)):
                log.warning("alert %s reached no admin; it is sent again after the next collection", item.key)
                continue
            async with write(self.engine) as conn:
                await AlertRepo(conn).mark_delivered(item.key, now)
