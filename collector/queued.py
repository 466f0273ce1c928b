"""The `bot` role's collector: it decides which channels are due and hands each to the queue of its
account, where a `collector` process takes it. What /status shows comes from the database (runs,
the queue, the account ledger), never from this process's memory."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from procrastinate import App
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.assignment import Assigner
from collector.capacity import Load, load_of, run_seconds
from collector.channel_admin import add_channels, pause_channel, remove_channel, resume_channel
from collector.ledger import AccountLedger, AccountSummary
from collector.pacing import PacingConfig
from collector.records import CollectorState, EnqueueOutcome
from collector.schedule import JOB_ID, collection_time
from collector.tasks import defer_collect, queued_channels, retry_stalled, running_channels
from collector.waking import Waking
from storage.channels import COLLECTABLE, ChannelRepo
from storage.db import read, write
from storage.models import Channel
from storage.retention import thin_between_rounds
from storage.schedule import JobSchedule, ScheduleRepo

log = logging.getLogger("collector.queued")


class QueuedCollector(Waking):
    def __init__(
        self, engine: AsyncEngine, app: App, clock: Clock, pacing: PacingConfig, interval_minutes: int,
    ) -> None:
        self.engine, self.app, self.clock, self.pacing = engine, app, clock, pacing
        self.interval = timedelta(minutes=interval_minutes)
        self.ledger = AccountLedger(engine, clock)
        self.assigner = Assigner(engine, pacing, interval_minutes)
        self._tasks: set[asyncio.Task[None]] = set()
        self._draining = False
        self._woken = False
        self._running: dict[int, str] = {}  # channel id → username, as last read
        self._queued = 0  # jobs waiting in the queues
        self._due_now = 0
        self._dues: tuple[datetime | None, ...] = ()
        self._account: AccountSummary | None = None
        self.wake_hook: Callable[[], None] | None = None  # set by schedule_collection
        self.next_run_hook: Callable[[], datetime | None] | None = None
        self.wake_at_hook: Callable[[datetime], None] | None = None

    async def enqueue(self, texts: list[str], added_by: int | None) -> list[EnqueueOutcome]:
        outcomes = await add_channels(self.engine, self.clock, texts, added_by)
        if any(o.kind == "queued" for o in outcomes):
            await self.refresh_account()
            self.wake()
        return outcomes

    async def pause(self, channel_id: int) -> None:
        # A collector running it sees the pause in the database and stops the run (collector/worker.py).
        await pause_channel(self.engine, channel_id)
        await self.refresh_account()

    async def resume(self, channel_id: int) -> None:
        await resume_channel(self.engine, self.clock, self.ledger, channel_id)
        await self.refresh_account()
        self.wake()

    async def remove(self, channel_id: int, keep_data: bool) -> None:
        await remove_channel(self.engine, channel_id, keep_data)
        await self.refresh_account()

    async def drain(self) -> None:
        """The `collect` job: requeue dead collectors' jobs, then queue every due channel once."""
        if self._draining:
            self._woken = True
            return
        self._draining = True
        try:
            while True:
                # A wake during the round would be skipped by the scheduler as an overlapping run.
                self._woken = False
                await self._round()
                if not self._woken:
                    break
        finally:
            self._draining = False

    async def _round(self) -> None:
        await retry_stalled(self.app)
        async with read(self.engine) as conn:
            due = await ChannelRepo(conn).list_due(self.clock.now())
        queued = [c.username for c in due
                  if await defer_collect(self.app, c, await self.assigner.channel_account(c.id))]
        if queued:
            log.info("queued for collection: %s", ", ".join(f"@{name}" for name in queued))
        await self._save_schedule()
        await thin_between_rounds(self.engine, self.clock.now())
        await self.refresh_account()

    async def refresh_account(self) -> None:
        """Read the queue, the runs and the account ledger again for state()."""
        now = self.clock.now()
        running = set(await running_channels(self.app))
        self._queued = await queued_channels(self.app)
        async with read(self.engine) as conn:
            tracked = await ChannelRepo(conn).list_all()
            self._due_now = await ChannelRepo(conn).count_due(now)
        self._running = {c.id: c.username for c in tracked if c.id in running}
        self._dues = tuple(c.next_collection_at for c in tracked if c.status in COLLECTABLE)
        self._account = await self.ledger.summary()

    def state(self) -> CollectorState:
        now, next_run = self.clock.now(), self._next_run()
        upcoming = (collection_time(due, now, next_run, self.interval) for due in self._dues)
        channel = next(iter(self._running.values()), None)
        waiting = max(self._queued, self._due_now)
        eta = now + timedelta(seconds=waiting * run_seconds(self.pacing)) if waiting or channel else None
        return CollectorState(
            collecting=bool(self._running), channel=channel, message_index=None, message_total=None,
            wait_seconds=None, wait_layer=None, wait_until=None, queue_length=waiting, eta=eta,
            next_run=next_run, flood_waits_today=self._account.flood_waits_today if self._account else 0,
            next_collection=min((t for t in upcoming if t is not None), default=None),
            account=self._account, load=self.load(),
        )

    def load(self) -> Load:
        return load_of(self.pacing, len(self._dues), int(self.interval.total_seconds() // 60))

    def collection_time(self, channel: Channel) -> datetime | None:
        if channel.status not in COLLECTABLE:
            return None
        return collection_time(channel.next_collection_at, self.clock.now(), self._next_run(),
                               self.interval, running=channel.id in self._running)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _next_run(self) -> datetime | None:
        return self.next_run_hook() if self.next_run_hook else None

    async def _save_schedule(self) -> None:
        """The job's next run, for `status` and for collectors, which set due times just before it."""
        schedule = JobSchedule(JOB_ID, self._next_run(), self.interval, os.getpid(), False, self.clock.now())
        try:
            async with write(self.engine) as conn:
                await ScheduleRepo(conn).save(schedule)
        except OperationalError as exc:
            log.warning("could not record the collection schedule: %s", exc)
