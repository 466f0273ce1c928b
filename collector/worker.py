"""The `collector` role's worker: procrastinate hands it the `collect_channel` jobs of its account's
queue, one at a time, and the in-process Collector runs each channel exactly as `run` does."""

from __future__ import annotations

import asyncio
import logging

from procrastinate import App
from procrastinate.exceptions import ConnectorException
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from collector.queue_connection import connection_error, work_queue
from collector.schedule import JOB_ID, upcoming_run
from collector.service import Collector
from collector.tasks import (
    DEFAULT_ACCOUNT,
    STALLED_AFTER_SECONDS,
    defer_collect,
    register_collect,
    retry_stalled,
)
from storage.accounts import AccountRepo
from storage.channels import COLLECTABLE, ChannelRepo
from storage.db import read, write
from storage.outage import DatabaseLost, is_lost, wait_until_back
from storage.schedule import ScheduleRepo

log = logging.getLogger("collector.worker")

WATCH_SECONDS = 2.0  # how often a run in progress checks whether it was paused or removed


class QueueWorker:
    def __init__(
        self, collector: Collector, app: App, engine: AsyncEngine, queue: str,
        watch_seconds: float = WATCH_SECONDS,
    ) -> None:
        self.collector, self.app, self.engine, self.queue = collector, app, engine, queue
        self.watch_seconds = watch_seconds
        register_collect(app, self.collect)

    async def collect(self, channel_id: int, queue: str) -> None:
        """One job: the channel's run, due again just before the bot's next round. A channel queued
        before any account signed in (`account-default`) is claimed for this account and queued on
        its queue, so that its run too holds the account's lock."""
        if queue == DEFAULT_ACCOUNT and self.collector.gate.account is not None:
            await self._claim(channel_id, self.collector.gate.account)
            return
        watch = asyncio.create_task(self._watch(channel_id))
        try:
            await self._follow_schedule()
            await self.collector.collect_channel(channel_id)
        except asyncio.CancelledError:
            # Stopped mid-channel: the run is recorded as cancelled with what it stored; the channel
            # goes back to the queue, for this account's next collector.
            await asyncio.shield(self._requeue_on_stop(channel_id))
            raise
        except DatabaseLost as exc:
            await self._requeue_after_outage(channel_id, exc)
        except (DBAPIError, OSError) as exc:
            if not await is_lost(self.engine, exc):
                raise
            await wait_until_back(self.engine, self.collector.outage, exc)
            await self._requeue_after_outage(channel_id, exc)
        finally:
            watch.cancel()

    async def _requeue_after_outage(self, channel_id: int, exc: Exception) -> None:
        """The database went away during the job: the channel is queued again at once, as a stopped
        collector's is, rather than waiting for the bot's next round."""
        await self._requeue(channel_id)
        log.warning("channel %s queued again after the database came back (%s)", channel_id, exc)

    async def _watch(self, channel_id: int) -> None:
        """Stop the run when an admin pauses or removes the channel through the bot meanwhile (in
        `run` the bot tells the collector directly; here only the database is shared)."""
        while True:
            # Polling the database on the wall clock: no Telegram request waits on this sleep.
            await asyncio.sleep(self.watch_seconds)
            try:
                async with read(self.engine) as conn:
                    channel = await ChannelRepo(conn).get(channel_id)
            except (DBAPIError, OSError) as exc:
                if not await is_lost(self.engine, exc):
                    raise
                continue  # the run meets the outage too, and waits for the database itself
            if channel is None or channel.status not in COLLECTABLE:
                self.collector.stop_run(channel_id)
                return

    async def run(self) -> None:
        """Requeue what a dead collector of this queue left, then work until cancelled."""
        if retried := await retry_stalled(self.app, self.queue):
            log.warning("%d job(s) of a collector that stopped mid-channel queued again", retried)
        # A stop cancels the job in hand at once (shutdown_graceful_timeout=0): `run` does the same.
        # Done jobs are deleted (the runs table is the record); failed ones stay to be looked at.
        await work_queue(
            self.app,
            # Its account's channels, and those no account had when they were queued (it claims them).
            queues=sorted({self.queue, DEFAULT_ACCOUNT}), concurrency=1, install_signal_handlers=False,
            shutdown_graceful_timeout=0,
            name=f"collector {self.queue}", delete_jobs="successful",
            stalled_worker_timeout=STALLED_AFTER_SECONDS,
        )

    async def _follow_schedule(self) -> None:
        """The bot's round schedule, recorded in the database, so a channel collected here falls due
        just before the bot's next round (not an interval after it)."""
        async with read(self.engine) as conn:
            schedule = await ScheduleRepo(conn).get(JOB_ID)
        if schedule is None or schedule.next_run_at is None:
            self.collector.next_run_hook = None
            return
        upcoming = upcoming_run(schedule.next_run_at, self.collector.clock.now(), schedule.interval)
        self.collector.interval = schedule.interval
        self.collector.next_run_hook = lambda: upcoming

    async def _claim(self, channel_id: int, account: int) -> None:
        async with write(self.engine) as conn:
            owner = await AccountRepo(conn).claim(channel_id, account)
            channel = await ChannelRepo(conn).get(channel_id)
        if channel is not None and channel.status in COLLECTABLE:
            await defer_collect(self.app, channel, owner)

    async def _requeue(self, channel_id: int) -> None:
        async with read(self.engine) as conn:
            channel = await ChannelRepo(conn).get(channel_id)
        if channel is not None:
            await defer_collect(self.app, channel, channel.account_id)

    async def _requeue_on_stop(self, channel_id: int) -> None:
        try:
            await self._requeue(channel_id)
        except (DBAPIError, OSError, ConnectorException) as exc:
            if isinstance(exc, ConnectorException):
                connection_error(exc)  # raises what is not a lost connection
            elif not await is_lost(self.engine, exc):
                raise
            # Its job stays "doing": queued again a minute after the database is back, as a killed
            # collector's is.
            log.warning("channel %s not queued again: the database is unreachable", channel_id)
