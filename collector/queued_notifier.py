"""A collector process's Notifier: each event becomes a `notify_admins` job on the bot's queue, which
the bot process delivers through its own Notifier (a collector never holds a Bot API client)."""

from __future__ import annotations

import logging
from typing import Any

from procrastinate import App
from sqlalchemy.ext.asyncio import AsyncEngine

from collector.notifier import Notifier
from collector.tasks import defer_notice
from storage.channels import ChannelRepo
from storage.db import read
from storage.models import Channel

log = logging.getLogger("collector.notifier")


class QueuedNotifier:
    def __init__(self, app: App) -> None:
        self.app = app

    async def first_collection_done(self, channel: Channel, posts_stored: int) -> None:
        await defer_notice(self.app, event="first_collection_done", channel_id=channel.id,
                           posts_stored=posts_stored)

    async def channel_failed(self, channel: Channel, reason: str) -> None:
        await defer_notice(self.app, event="channel_failed", channel_id=channel.id, reason=reason)

    async def flood_wait_postponed(self, channel: Channel, seconds: float) -> None:
        await defer_notice(self.app, event="flood_wait_postponed", channel_id=channel.id, seconds=seconds)

    async def account_stopped(self, reason: str) -> None:
        await defer_notice(self.app, event="account_stopped", reason=reason)

    async def channel_collected(self, channel: Channel, run_id: int) -> None:
        await defer_notice(self.app, event="channel_collected", channel_id=channel.id, run_id=run_id)


async def deliver_notice(notifier: Notifier, engine: AsyncEngine, event: str, **args: Any) -> None:
    """The bot's side: tell people through `notifier`, the channel as stored now."""
    if event == "account_stopped":
        await notifier.account_stopped(args["reason"])
        return
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(int(args["channel_id"]))
    if channel is None:
        log.info("a collector's news of channel %s came after it was removed", args["channel_id"])
        return
    if event == "first_collection_done":
        await notifier.first_collection_done(channel, int(args["posts_stored"]))
    elif event == "channel_failed":
        await notifier.channel_failed(channel, str(args["reason"]))
    elif event == "flood_wait_postponed":
        await notifier.flood_wait_postponed(channel, float(args["seconds"]))
    elif event == "channel_collected":
        await notifier.channel_collected(channel, int(args["run_id"]))
    else:
        log.warning("unknown news from a collector: %s", event)
