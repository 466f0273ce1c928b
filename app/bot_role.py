"""`python main.py bot`: aiogram, the scheduler that hands due channels to the collectors' queues,
digests and alerts; a procrastinate worker on the bot's queue delivers what collectors tell admins."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from procrastinate import App as TaskApp
from procrastinate.exceptions import ConnectorException
from sqlalchemy.ext.asyncio import AsyncEngine

from app.liveness import POLLING, SCHEDULER
from bot.notifier import BotNotifier
from clock import Clock
from collector.pacing import PacingConfig
from collector.queue_connection import QueueConnector, connection_error, work_queue
from collector.queued import QueuedCollector
from collector.queued_notifier import deliver_notice
from collector.tasks import BOT_QUEUE, STALLED_AFTER_SECONDS, register_notify, retry_stalled
from settings import Settings
from storage.outage import DatabaseOutage

log = logging.getLogger("app.bot")

STALLED_JOB_ID = "requeue-stalled"
STALLED_CHECK_SECONDS = 30


class BotRole:
    """The `bot` role's side of the queue, for app/run.py's start_app (a SplitRole)."""

    components = (SCHEDULER, POLLING)  # no collection here: each collector beats for itself

    def __init__(self, task_app: TaskApp, settings: Settings, clock: Clock, outage: DatabaseOutage) -> None:
        """`outage`: the process's one (its task app's connector tells it too)."""
        self.task_app, self.settings, self.clock, self.outage = task_app, settings, clock, outage
        self._worker: asyncio.Task[None] | None = None

    def make_collector(self, engine: AsyncEngine, notifier: BotNotifier) -> QueuedCollector:
        register_notify(self.task_app, functools.partial(deliver_notice, notifier, engine))
        return QueuedCollector(engine, self.task_app, self.clock, PacingConfig.from_settings(self.settings),
                               self.settings.collect_interval_minutes)

    async def start(self, scheduler: AsyncIOScheduler) -> None:
        # A collector killed mid-channel leaves its job "doing" and its account locked: requeued once
        # procrastinate's heartbeat of that worker is stale, not an interval later.
        scheduler.add_job(self._retry_stalled, "interval", seconds=STALLED_CHECK_SECONDS,
                          id=STALLED_JOB_ID, replace_existing=True, max_instances=1, coalesce=True)
        self._worker = asyncio.create_task(work_queue(
            self.task_app, queues=[BOT_QUEUE], concurrency=1, install_signal_handlers=False, name="bot",
            delete_jobs="successful",  # a delivered notice needs no row; a failed one stays to be seen
            stalled_worker_timeout=STALLED_AFTER_SECONDS,
        ))
        self._worker.add_done_callback(_worker_ended)

    async def _retry_stalled(self) -> None:
        if not self.outage.settled(STALLED_AFTER_SECONDS):
            # Every worker's heartbeat is as old as the outage: give the live ones time to beat
            # again before taking any for dead.
            return
        try:
            await retry_stalled(self.task_app)
        except ConnectorException as exc:
            # The database is gone (restarting): the next check, 30 s on, looks again.
            self.outage.lost(connection_error(exc))

    async def stop(self) -> None:
        connector = self.task_app.connector
        if isinstance(connector, QueueConnector):
            await connector.stop_waiting()  # a stop during an outage must not wait for the database
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker


def _worker_ended(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("the bot's queue worker stopped (%s): collectors' news waits in the queue until the bot "
                  "restarts", exc)
