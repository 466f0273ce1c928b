"""The running process's heartbeat: each component marks its signs of life in memory, and a
scheduler job writes them to the database every tick, where `status --check` reads them.

One writer on the scheduler: a hung scheduler (or a blocked event loop) leaves every row old, a
hung collector or polling loop leaves its own row old while the others go on.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from settings import Settings
from storage.db import write
from storage.heartbeats import Heartbeat, HeartbeatRepo
from storage.outage import DatabaseOutage, is_lost
from storage.tables import heartbeats

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger("app")

JOB_ID = "heartbeat"
TICK = timedelta(seconds=30)
SCHEDULER, COLLECTION, POLLING = "scheduler", "collection", "polling"
# A long poll (getUpdates) ends within aiogram's 30 s polling timeout; one cut off by a dead link
# within its 60 s request timeout more, then a retry after at most 5 s of backoff.
POLLING_STALE = timedelta(minutes=5)
COLLECTION_ROUNDS = 3  # rounds the collector may miss before it counts as hung


def stale_limits(settings: Settings) -> dict[str, timedelta]:
    """How long each component may go without a sign of life: a few of its intervals. The
    collector marks each round and each channel run, and may obey a FloodWait in between."""
    rounds = COLLECTION_ROUNDS * timedelta(minutes=settings.collect_interval_minutes)
    return {
        SCHEDULER: 4 * TICK,
        COLLECTION: rounds + timedelta(seconds=settings.mtproto_max_flood_wait),
        POLLING: POLLING_STALE,
    }


class Liveness:
    """The last sign of life of each component, on the wall clock (another process compares it
    with its own); every component counts as alive when the process starts."""

    def __init__(
        self, clock: Clock, limits: dict[str, timedelta], pid: int | None = None, ticker: str = SCHEDULER,
        outage: DatabaseOutage | None = None,
    ) -> None:
        """`ticker`: the component whose life is the writing itself (a scheduler's tick, or a
        collector process's own loop); `outage`: told when the database is gone at a tick."""
        self.clock, self.limits, self.ticker = clock, limits, ticker
        self.outage = outage or DatabaseOutage("the heartbeat")
        self.pid = os.getpid() if pid is None else pid
        started = clock.now()
        self.marks = dict.fromkeys(limits, started)

    def mark(self, component: str) -> None:
        self.marks[component] = self.clock.now()

    def beats(self) -> list[Heartbeat]:
        return [Heartbeat(c, at, self.limits[c], self.pid) for c, at in self.marks.items()]

    async def record(self, engine: AsyncEngine) -> None:
        """Write every component's last sign of life (the ticker's is now)."""
        self.mark(self.ticker)
        try:
            async with write(engine) as conn:
                for beat in self.beats():
                    await HeartbeatRepo(conn).save(beat)
        except (DBAPIError, OSError) as exc:
            if await is_lost(engine, exc):
                # The server went away (restarted): the next tick writes again once it is back.
                self.outage.lost(exc)
                return
            if not isinstance(exc, OperationalError):
                raise
            # A database locked past every retry: the next tick writes again; a row left old
            # that long is what the check is for.
            log.warning("could not record the heartbeat: %s", exc)
            return
        self.outage.back()

    async def forget(self, engine: AsyncEngine) -> None:
        """On a clean stop: nothing of this process is alive any more."""
        try:
            async with write(engine) as conn:
                await conn.execute(delete(heartbeats).where(heartbeats.c.pid == self.pid))
        except (DBAPIError, OSError) as exc:
            if not isinstance(exc, OperationalError) and not await is_lost(engine, exc):
                raise
            # Its rows stay and go stale: `status --check` then says this process is not running.
            log.warning("could not clear the heartbeat: %s", " ".join(str(exc).split()))


class PollingBeat(BaseRequestMiddleware):
    """Marks the polling loop alive each time a long poll ends, answered or failed: the loop then
    goes round again. A loop that hangs stops marking."""

    def __init__(self, liveness: Liveness) -> None:
        self.liveness = liveness

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        finally:
            if isinstance(method, GetUpdates):
                self.liveness.mark(POLLING)


def schedule_heartbeat(scheduler: AsyncIOScheduler, engine: AsyncEngine, liveness: Liveness) -> None:
    """Record the heartbeat every TICK; ticks missed while the process was frozen are one late
    tick as soon as it runs again (a process that wakes is alive)."""
    kwargs: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(liveness.record, "interval", seconds=TICK.total_seconds(), args=(engine,),
                      id=JOB_ID, replace_existing=True, **kwargs)
