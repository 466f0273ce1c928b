"""The collector: a durable queue (the channels table) drained one channel at a time, and its live state."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.assignment import Assigner
from collector.capacity import Load, load_of, run_seconds
from collector.channel_admin import add_channels, pause_channel, remove_channel, resume_channel
from collector.channel_run import ChannelRunner, Tally
from collector.gate import RequestGate
from collector.ledger import AccountSummary
from collector.notifier import Notifier
from collector.outcomes import RunOutcomes
from collector.records import CollectorState, EnqueueOutcome
from collector.schedule import JOB_ID, collection_time, due_again
from collector.source import ChannelSource
from collector.waking import Waking
from storage.accounts import AccountRepo
from storage.channels import COLLECTABLE, ChannelRepo
from storage.db import read, write
from storage.models import Channel, RunResult
from storage.outage import DatabaseLost, DatabaseOutage, is_lost, wait_until_back
from storage.retention import thin_between_rounds
from storage.runs import RunRepo
from storage.schedule import JobSchedule, ScheduleRepo

log = logging.getLogger("collector")

LOST_MID_RUN = "the database connection was lost mid-run; stored posts are kept, the channel stays due"


class Collector(Waking):
    def __init__(
        self, engine: AsyncEngine, source: ChannelSource, gate: RequestGate, clock: Clock,
        notifier: Notifier, interval_minutes: int = 60, alive: Callable[[], None] | None = None,
        outage: DatabaseOutage | None = None,
    ) -> None:
        """`source` sends every request through `gate`, whose pacer paces this collector too;
        `alive` is called at each sign of progress (a round begun or ended, a channel run ended);
        `outage` tells (once for the process) that the database went away mid-run."""
        self.engine, self.source, self.gate, self.clock = engine, source, gate, clock
        self.pacer, self.pacing = gate.pacer, gate.config
        self.notifier = notifier
        self.outage = outage or DatabaseOutage("the collector")
        self._alive = alive or (lambda: None)
        self.interval = timedelta(minutes=interval_minutes)
        self._stop: set[int] = set()
        self.assigner = Assigner(engine, self.pacing, interval_minutes)
        self.outcomes = RunOutcomes(engine, gate, clock, notifier, self.assigner)
        self.runner = ChannelRunner(
            engine, source, gate, clock, lambda cid: cid in self._stop,
            self._set_progress,
        )
        self._draining = False
        self._woken = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._channel: str | None = None
        self._progress: tuple[int, int] | None = None
        self._queue_length = 0
        self._tried: set[int] = set()  # channels this drain has taken (or is taking) already
        self._current: int | None = None
        self._dues: tuple[datetime | None, ...] = ()  # collectable channels' due times, as last read
        self._account: AccountSummary | None = None
        self.wake_hook: Callable[[], None] | None = None  # set by schedule_collection
        self.next_run_hook: Callable[[], datetime | None] | None = None
        self.wake_at_hook: Callable[[datetime], None] | None = None  # set by schedule_collection

    async def enqueue(self, texts: list[str], added_by: int | None) -> list[EnqueueOutcome]:
        """Parse and store each reference as queued (no Telegram request), then wake the job."""
        outcomes = await add_channels(self.engine, self.clock, texts, added_by)
        if any(o.kind == "queued" for o in outcomes):
            await self._refresh_queue()
            self.wake()
        return outcomes

    async def drain(self) -> None:
        """Collect the least recently collected due channel until none is due (the job's body)."""
        if self._draining:
            self._woken = True
            return
        self._draining = True
        self._tried = tried = set()
        current = asyncio.current_task()
        if current is not None:
            self._tasks.add(current)  # so aclose() can stop a drain the scheduler started
        self._alive()
        try:
            await self._save_schedule(running=True)
            while True:
                self._woken = False
                if await self.outcomes.held_back(self.wake_at_hook):
                    break
                async with read(self.engine) as conn:
                    # Its account's channels and those no account has yet (it takes them).
                    channel = await ChannelRepo(conn).next_due(self.clock.now(), tuple(tried),
                                                               self.gate.account)
                await self._refresh_queue()
                if channel is None:
                    if self._woken:
                        continue
                    break
                tried.add(channel.id)
                try:
                    await self._collect_one(channel)
                except DatabaseLost as exc:
                    log.warning("%s; it is collected next round", exc)
                self._alive()
        finally:
            if current is not None:
                self._tasks.discard(current)
            self._stop.clear()
            self._channel = None
            self._progress = None
            try:
                await self._refresh_queue()
                await self._save_schedule(running=False)
            finally:
                self._draining = False
                self._tried = set()
        await thin_between_rounds(self.engine, self.clock.now())
        self._alive()
        if self._woken:
            # Woken while this drain was finishing: the scheduler would skip that wake as an
            # overlapping run of this very job, and the channel would wait a whole interval.
            self._woken = False
            task = asyncio.get_running_loop().create_task(self.drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def collect_channel(self, channel_id: int) -> bool:
        """One channel's run as a queued job asks for it (the `collector` role), paced as in a drain
        (CHANNEL_DELAY after this process's previous channel). Nothing is sent when the account is
        held back or the channel is no longer due (paused, removed, or collected since it was
        queued); it stays due, and the scheduler queues it again. True when it ran."""
        if await self.outcomes.held_back(None):
            return False
        async with read(self.engine) as conn:
            channel = await ChannelRepo(conn).get(channel_id)
        now = self.clock.now()
        if channel is None or channel.status not in COLLECTABLE:
            log.info("channel %s: paused or removed since it was queued; skipped", channel_id)
            return False
        if channel.account_id not in (None, self.gate.account):
            log.info("@%s: collected by account %s, not this one; skipped", channel.username,
                     channel.account_id)
            return False
        if channel.next_collection_at is not None and channel.next_collection_at > now:
            log.info("@%s: not due until %s (collected since it was queued); skipped",
                     channel.username, f"{channel.next_collection_at:%Y-%m-%d %H:%M:%S}")
            return False
        self._draining = True
        self._alive()
        try:
            await self._collect_one(channel)
        finally:
            self._draining = False
            self._stop.clear()
            self._channel = self._progress = None
        self._alive()
        return True

    async def _collect_one(self, channel: Channel) -> None:
        self._channel, self._current, self._progress = channel.username, channel.id, None
        self.pacer.start_channel(channel.username)
        await self.gate.catch_up()
        await self.pacer.before_channel()
        async with write(self.engine) as conn:
            run_id = await RunRepo(conn).start(channel.id, self.clock.now(), self.gate.account)
        tally, error, outcome = Tally(), None, None
        self.gate.start_run()
        try:
            try:
                outcome = await self.runner.collect(channel, run_id, tally)
            except Exception as exc:
                if await is_lost(self.engine, exc):
                    raise
                error = await self.outcomes.settle(channel, exc, self.interval)
            # The channel is marked collected in the transaction that finishes its run record: a
            # stop cannot leave it marked with its record unfinished.
            await self._finish(channel, run_id, tally, error, collected=outcome is not None)
        except asyncio.CancelledError:
            # Posts stored so far stay; the record says why the run is short, then we stop.
            try:
                await self._finish(channel, run_id, tally, "cancelled mid-run; stored posts are kept")
            except (DBAPIError, OSError) as exc:
                if not await is_lost(self.engine, exc):
                    raise
                self.outage.lost(exc)
                log.warning("@%s: stopped while the database is unreachable; run %d stays unfinished "
                            "(its stored posts are kept)", channel.username, run_id)
            raise
        except (DBAPIError, OSError) as exc:
            if not await is_lost(self.engine, exc):
                raise
            await self._cut_short(channel, run_id, tally, exc)
        finally:
            self.gate.end_run()
            self.pacer.end_channel()
            self._current = None
        if channel.id in self._stop:
            self._stop.discard(channel.id)
            return
        if outcome is not None and channel.last_collected_at is None:
            await self.notifier.first_collection_done(outcome, tally.new)
        await self.notifier.channel_collected(outcome or channel, run_id)

    async def _cut_short(self, channel: Channel, run_id: int, tally: Tally, exc: BaseException) -> None:
        """The database went away mid-run: once it is back, the run is recorded with what it stored,
        and DatabaseLost tells the caller the channel is still due (not a failure of the channel)."""
        await wait_until_back(self.engine, self.outage, exc)
        await self._finish(channel, run_id, tally, LOST_MID_RUN)
        raise DatabaseLost(f"@{channel.username}: {LOST_MID_RUN}") from exc

    async def _finish(
        self, channel: Channel, run_id: int, tally: Tally, error: str | None, collected: bool = False
    ) -> None:
        """Finish the run's record; when `collected`, mark the channel collected in the same write."""
        result = RunResult(
            fetched=tally.fetched, new=tally.new, updated=tally.updated,
            pacing_seconds={k: round(v, 3) for k, v in self.pacer.totals.items()},
            flood_waits=tally.flood_waits, flood_wait_seconds=tally.flood_wait_seconds, error=error,
        )
        async with write(self.engine) as conn:
            if channel.account_id is None and self.gate.account is not None:
                await AccountRepo(conn).claim(channel.id, self.gate.account)
            if collected:
                # Due again just before the job's next run, so that run is the one shown and taken.
                await ChannelRepo(conn).update(
                    channel.id, status="active", status_reason=None, status_kind=None,
                    last_collected_at=self.clock.now(), next_collection_at=self._due_again(),
                    unexpected_failures=0,
                )
            await RunRepo(conn).finish(run_id, result, self.clock.now())
        log.info("@%s: run %d done: %d fetched, %d new, %d updated%s", channel.username, run_id,
                 tally.fetched, tally.new, tally.updated, f", error: {error}" if error else "")

    async def pause(self, channel_id: int) -> None:
        await pause_channel(self.engine, channel_id)
        self._stop_if_running(channel_id)
        await self._refresh_queue()

    async def resume(self, channel_id: int) -> None:
        await resume_channel(self.engine, self.clock, self.gate.ledger, channel_id)
        self._stop.discard(channel_id)
        await self._refresh_queue()
        self.wake()

    async def remove(self, channel_id: int, keep_data: bool) -> None:
        """keep_data: stop collecting but keep everything (paused); otherwise forget it all."""
        self._stop_if_running(channel_id)
        await remove_channel(self.engine, channel_id, keep_data)
        await self._refresh_queue()

    def state(self) -> CollectorState:
        wait = self.pacer.current
        index, total = self._progress or (None, None)
        now, next_run = self.clock.now(), self._next_run()
        # Channels due now are taken by the run in progress, then wait for the next one like the
        # rest: so this is the first collection after the current run.
        upcoming = (collection_time(due, now, next_run, self.interval) for due in self._dues)
        return CollectorState(
            collecting=self._draining, channel=self._channel, message_index=index, message_total=total,
            wait_seconds=wait.seconds if wait else None, wait_layer=wait.layer if wait else None,
            wait_until=wait.until if wait else None, queue_length=self._queue_length,
            eta=self._eta(), next_run=next_run,
            flood_waits_today=self._account.flood_waits_today if self._account else 0,
            next_collection=min((t for t in upcoming if t is not None), default=None),
            account=self._account, load=self.load(),
        )

    async def refresh_account(self) -> None:
        """Read the account ledger again for state() (it is otherwise read between channels)."""
        if self.gate.ledger is not None:
            self._account = await self.gate.ledger.summary(self.gate.account)

    def load(self) -> Load:
        """The channels to collect every interval against the runs one account makes an hour."""
        return load_of(self.pacing, len(self._dues), int(self.interval.total_seconds() // 60))

    def collection_time(self, channel: Channel) -> datetime | None:
        """When `channel` is really collected: now if the run under way takes it, else the job's first
        run at or after its due time; None when paused, failed or nothing is scheduled."""
        if channel.status not in COLLECTABLE:
            return None
        in_this_run = self._draining and (channel.id == self._current or channel.id not in self._tried)
        return collection_time(channel.next_collection_at, self.clock.now(), self._next_run(),
                               self.interval, running=in_this_run)

    def _eta(self) -> datetime | None:
        if not self._queue_length and not self._draining:
            return None
        return self.clock.now() + timedelta(seconds=self._queue_length * run_seconds(self.pacing))

    async def settled(self) -> None:
        """Wait until every drain started so far (by `wake`, say) has ended."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def aclose(self) -> None:
        """Cancel any drain in progress (its run is recorded as cancelled; stored posts stay)."""
        me = asyncio.current_task()
        others = [t for t in self._tasks if t is not me]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def stop_run(self, channel_id: int) -> None:
        """Stop the channel's run if it is under way (paused or removed elsewhere); its posts stay."""
        self._stop_if_running(channel_id)

    def _stop_if_running(self, channel_id: int) -> None:
        if self._draining:
            self._stop.add(channel_id)

    def _set_progress(self, index: int, total: int) -> None:
        self._progress = (index, total)

    async def _refresh_queue(self) -> None:
        async with read(self.engine) as conn:
            mine = self.gate.account
            self._queue_length = await ChannelRepo(conn).count_due(self.clock.now(), mine)
            tracked = await ChannelRepo(conn).list_all()
        self._dues = tuple(c.next_collection_at for c in tracked
                           if c.status in COLLECTABLE and (mine is None or c.account_id in (None, mine)))
        await self.refresh_account()

    def _next_run(self) -> datetime | None:
        return self.next_run_hook() if self.next_run_hook else None

    def _due_again(self) -> datetime:
        return due_again(self.clock.now(), self._next_run(), self.interval)

    async def _save_schedule(self, running: bool) -> None:
        """Record the job's next run for `python main.py status`, which has no scheduler to ask."""
        if self.next_run_hook is None:
            return  # no scheduler (`collect --once`): nothing is scheduled to record
        schedule = JobSchedule(JOB_ID, self._next_run(), self.interval, os.getpid(), running,
                               self.clock.now())
        try:
            async with write(self.engine) as conn:
                await ScheduleRepo(conn).save(schedule)
        except OperationalError as exc:
            # Only what `status` shows; a database locked past every retry must not cost a round.
            log.warning("could not record the collection schedule for `status`: %s", exc)
