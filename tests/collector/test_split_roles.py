"""The `bot` and `collector` roles over procrastinate's queue on PostgreSQL (issue 12, items 3-4):
the bot queues due channels, collectors of one account take them one at a time, and what a
collector has to tell admins reaches them through the bot process."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from procrastinate import App as TaskApp
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_bot
from bot.notifier import BotNotifier
from clock import VirtualClock
from collector.ledger import AccountLedger
from collector.pacing import PacingConfig
from collector.queued import QueuedCollector
from collector.queued_notifier import QueuedNotifier, deliver_notice
from collector.tasks import (
    BOT_QUEUE,
    COLLECT_TASK,
    build_task_app,
    defer_collect,
    queue_for,
    register_notify,
    retry_stalled,
)
from collector.worker import QueueWorker
from sandbox.botapi import DEFAULT_TOKEN, BotAPIServer
from sandbox.collector import sandbox_collector
from sandbox.telegram import ACCOUNT_ID
from settings import Settings
from storage.accounts import AccountRepo
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.migrate import open_database
from storage.runs import RunRepo
from tests.collector.helpers import HoldingClock, RecordingNotifier

ADMIN = 4242
HANG_GUARD = 120  # seconds; a loaded machine is slow, never this slow


@dataclass
class Queue:
    url: str
    engine: AsyncEngine
    app: TaskApp
    clock: VirtualClock


@pytest.fixture
async def queue(queue_db_url: str, now) -> AsyncIterator[Queue]:
    engine = await open_database(queue_db_url)
    app = build_task_app(queue_db_url)
    async with app.open_async():
        yield Queue(queue_db_url, engine, app, VirtualClock(now))
    await engine.dispose()


def bot_side(q: Queue) -> QueuedCollector:
    bot = QueuedCollector(q.engine, q.app, q.clock, PacingConfig(), 60)
    bot.wake_hook = lambda: None  # the test ticks the scheduler itself
    return bot


async def finished_runs(engine: AsyncEngine) -> list:
    async with read(engine) as conn:
        return [r for r in await RunRepo(conn).recent(100) if r.finished_at is not None]


async def until(predicate, within: float = HANG_GUARD) -> None:
    async def poll() -> None:
        while not await predicate():  # noqa: ASYNC110 - the database is another process's to change
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), within)


async def test_a_due_channel_is_queued_once_however_often_the_scheduler_ticks(queue: Queue) -> None:
    bot = bot_side(queue)
    outcomes = await bot.enqueue(["@pulse_news", "@pulse_tech"], added_by=None)
    await bot.drain()
    await bot.drain()  # a second tick (or a wake) before any collector took them
    jobs = list(await queue.app.job_manager.list_jobs_async(task=COLLECT_TASK))
    assert sorted(j.task_kwargs["channel_id"] for j in jobs) == sorted(o.channel.id for o in outcomes)
    assert {j.queue for j in jobs} == {queue_for()}
    await bot.refresh_account()
    assert bot.state().queue_length == 2


async def test_two_collectors_of_one_account_never_collect_at_once(queue: Queue) -> None:
    """Two processes of one account, on its queue, take turns. Jobs queued while no account was
    live wait in `account-default`; a collector that takes one claims the channel and queues it on
    its account's queue, so that run also waits for the account's lock (else the account's two
    processes could collect a default job and one of their own at once)."""
    bot = bot_side(queue)
    await bot.enqueue(["@pulse_news", "@pulse_tech", "@pulse_markets"], added_by=None)
    await bot.drain()  # no account yet: all three on account-default
    await AccountLedger(queue.engine, queue.clock).bind(ACCOUNT_ID, session_key=ACCOUNT_ID,
                                                        session_path="data/pulse.session")
    async with write(queue.engine) as conn:
        news = await ChannelRepo(conn).get_by_username("pulse_news")
        await AccountRepo(conn).claim(news.id, ACCOUNT_ID)
    # The account took one of them (as the bot's next round would take all three): its job moves
    # to the account's queue, the other two still wait on default.
    assert await defer_collect(queue.app, news, ACCOUNT_ID)
    queues = sorted(j.queue for j in await queue.app.job_manager.list_jobs_async(task=COLLECT_TASK))
    assert queues == sorted([queue_for(ACCOUNT_ID), queue_for(), queue_for()])
    async with contextlib.AsyncExitStack() as stack:
        tasks = []
        for _ in range(2):  # two processes of the account, signed in as production signs them in
            app = build_task_app(queue.url)
            await stack.enter_async_context(app.open_async())
            collector, _ = sandbox_collector(queue.engine, queue.clock, notifier=RecordingNotifier())
            await collector.gate.bind(ACCOUNT_ID)
            worker = QueueWorker(collector, app, queue.engine, queue_for(ACCOUNT_ID))
            tasks.append(asyncio.create_task(worker.run()))
        try:
            await until(lambda: _count(finished_runs(queue.engine), 3))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    runs = sorted(await finished_runs(queue.engine), key=lambda r: r.started_at)
    assert len(runs) == 3 and {r.account_id for r in runs} == {ACCOUNT_ID}
    for earlier, later in itertools.pairwise(runs):
        assert earlier.finished_at <= later.started_at
    async with read(queue.engine) as conn:
        channels = await ChannelRepo(conn).list_all()
    assert all(c.last_collected_at is not None and c.account_id == ACCOUNT_ID for c in channels)
    # Done jobs leave no rows behind: the queue does not grow by a row per channel run for good.
    assert not list(await queue.app.job_manager.list_jobs_async(task=COLLECT_TASK))


async def _count(runs, n: int) -> bool:
    return len(await runs) >= n


async def test_a_collectors_news_reaches_the_admin_through_the_bots_queue(queue: Queue) -> None:
    bot = bot_side(queue)
    [added] = await bot.enqueue(["@pulse_news"], added_by=ADMIN)
    async with BotAPIServer() as server:
        server.open_chat(ADMIN, "Admin")
        settings = Settings(_env_file=None, bot_token=SecretStr(DEFAULT_TOKEN),
                            bot_api_url=server.base_url, admin_ids=[ADMIN])
        telegram = create_bot(settings)
        try:
            register_notify(queue.app, functools.partial(
                deliver_notice, BotNotifier(telegram, queue.engine, settings, queue.clock), queue.engine))
            # The collector's side: no Bot API client, only jobs on the bot's queue.
            news = QueuedNotifier(queue.app)
            await news.first_collection_done(added.channel, 37)
            await news.account_stopped("Telegram ended the session (AUTH_KEY_UNREGISTERED)")
            await queue.app.run_worker_async(queues=[BOT_QUEUE], wait=False, install_signal_handlers=False)
        finally:
            await telegram.session.close()
        texts = [m.text for m in server.messages(ADMIN)]
    assert len(texts) == 2
    assert "First collection of" in texts[0] and "37 posts stored" in texts[0]
    assert texts[1] == "⛔ Collection stopped: Telegram ended the session (AUTH_KEY_UNREGISTERED)"


async def test_a_collector_stopped_mid_channel_queues_it_again_and_status_showed_it(queue: Queue) -> None:
    bot = bot_side(queue)
    [added] = await bot.enqueue(["@pulse_news"], added_by=None)
    await bot.drain()
    clock = HoldingClock(queue.clock.now(), hold_at=12)  # a pause a dozen messages into the page
    collector, _ = sandbox_collector(queue.engine, clock, notifier=RecordingNotifier())
    app = build_task_app(queue.url)
    async with app.open_async():
        working = asyncio.create_task(QueueWorker(collector, app, queue.engine, queue_for()).run())
        await asyncio.wait_for(clock.held.wait(), HANG_GUARD)
        await bot.refresh_account()
        during = bot.state()
        working.cancel()  # what SIGTERM does to the collector process
        await asyncio.gather(working, return_exceptions=True)
    assert during.collecting and during.channel == "pulse_news"
    async with read(queue.engine) as conn:
        [run] = await RunRepo(conn).recent()
        channel = await ChannelRepo(conn).get(added.channel.id)
    assert run.error == "cancelled mid-run; stored posts are kept" and run.fetched > 0
    assert channel is not None and channel.last_collected_at is None  # still due
    todo = list(await queue.app.job_manager.list_jobs_async(task=COLLECT_TASK, status="todo"))
    assert [j.task_kwargs["channel_id"] for j in todo] == [added.channel.id]


async def _take_and_die(q: Queue) -> int:
    """A collector takes the queue's job and dies: its worker's heartbeat is ten minutes old."""
    worker = await q.app.job_manager.register_worker()
    job = await q.app.job_manager.fetch_job(queues=[queue_for()], worker_id=worker)
    assert job is not None and job.id is not None
    async with q.engine.begin() as conn:
        await conn.execute(text("UPDATE procrastinate_workers "
                                "SET last_heartbeat = last_heartbeat - interval '10 minutes' WHERE id = :id"),
                           {"id": worker})
    return job.id


async def test_a_dead_collectors_job_is_queued_again_once(queue: Queue) -> None:
    bot = bot_side(queue)
    [added] = await bot.enqueue(["@pulse_news"], added_by=None)
    await bot.drain()
    job_id = await _take_and_die(queue)
    assert await retry_stalled(queue.app) == 1
    assert await retry_stalled(queue.app) == 0  # the bot's next check, or a collector starting
    [job] = await queue.app.job_manager.list_jobs_async(id=job_id)
    assert job.status == "todo" and job.task_kwargs == {"channel_id": added.channel.id}


async def test_a_dead_collectors_job_gives_way_to_the_channel_queued_again(queue: Queue) -> None:
    bot = bot_side(queue)
    [added] = await bot.enqueue(["@pulse_news"], added_by=None)
    await bot.drain()
    dead = await _take_and_die(queue)
    # Queued again while its job still looked alive (a round runs retry_stalled first, so this is
    # the queue as a round that came just before the heartbeat went stale leaves it).
    assert await defer_collect(queue.app, added.channel, None)
    assert await retry_stalled(queue.app) == 0
    jobs = {j.id: j.status for j in await queue.app.job_manager.list_jobs_async(task=COLLECT_TASK)}
    assert jobs.pop(dead) == "failed" and list(jobs.values()) == ["todo"]


async def test_a_pause_through_the_bot_stops_the_run_a_collector_has_in_hand(queue: Queue) -> None:
    bot = bot_side(queue)
    [added] = await bot.enqueue(["@pulse_news"], added_by=None)
    await bot.drain()
    clock = HoldingClock(queue.clock.now(), hold_at=12)
    notifier = RecordingNotifier()
    collector, _ = sandbox_collector(queue.engine, clock, notifier=notifier)
    app = build_task_app(queue.url)
    async with app.open_async():
        worker = QueueWorker(collector, app, queue.engine, queue_for(), watch_seconds=0.05)
        working = asyncio.create_task(worker.run())
        try:
            await asyncio.wait_for(clock.held.wait(), HANG_GUARD)
            await bot.pause(added.channel.id)
            await until(lambda: _stopping(collector, added.channel.id))
            clock.release()
            await until(lambda: _count(finished_runs(queue.engine), 1))
        finally:
            working.cancel()
            await asyncio.gather(working, return_exceptions=True)
    [run] = await finished_runs(queue.engine)
    assert run.error == "stopped: the channel was paused or removed during its run"
    assert 0 < run.fetched < 40  # the page was not read to its end
    assert notifier.events == []  # no "first collection done" for a paused channel


async def _stopping(collector, channel_id: int) -> bool:
    """The collector has taken the stop (its run is held on the clock until the test releases it)."""
    return channel_id in collector._stop


async def test_each_channel_is_queued_for_its_own_account_and_follows_it_when_it_moves(
    queue: Queue, now
) -> None:
    """With two accounts signed in, a new channel goes to the queue of the one with more spare
    capacity; handed to the other meanwhile, its waiting job moves to that account's queue (the
    stopped account's collector will never take it)."""
    a, b = 111, 222
    for n, account in enumerate((a, b)):
        await AccountLedger(queue.engine, queue.clock).bind(account, session_key=-account,
                                                             session_path=f"data/acc{n + 1}.session")
    bot = bot_side(queue)
    (busy,) = await bot.enqueue(["@pulse_news"], added_by=None)
    async with write(queue.engine) as conn:
        await AccountRepo(conn).claim(busy.channel.id, a)  # A has one channel already
    await bot.enqueue(["@pulse_tech"], added_by=None)
    await bot.drain()
    jobs = {j.task_kwargs["channel_id"]: j.queue
            for j in await queue.app.job_manager.list_jobs_async(task=COLLECT_TASK)}
    async with read(queue.engine) as conn:
        tech = await ChannelRepo(conn).get_by_username("pulse_tech")
    assert jobs == {busy.channel.id: queue_for(a), tech.id: queue_for(b)}

    async with write(queue.engine) as conn:
        await AccountRepo(conn).hand_over(busy.channel.id, b)  # A was signed out
    await bot.drain()
    waiting = [(j.task_kwargs["channel_id"], j.queue)
               for j in await queue.app.job_manager.list_jobs_async(task=COLLECT_TASK, status="todo")]
    assert sorted(waiting) == sorted([(busy.channel.id, queue_for(b)), (tech.id, queue_for(b))])
