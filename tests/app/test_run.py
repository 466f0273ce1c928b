"""The running app in-process: the production composition over the sandbox, as `run --sandbox` builds it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr
from sqlalchemy.exc import OperationalError

from app.run import App, StartupError, retry_collection_when_locked, run_until_stopped, start_app, summary
from app.sandbox_wiring import SANDBOX_ADMIN, Knobs, sandbox_wiring
from collector.job import JOB_ID
from sandbox.botapi import BotAPIServer
from settings import Settings, load_settings
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.migrate import open_database
from storage.posts import PostRepo
from storage.runs import RunRepo

FAST = 0.002  # 500x: a channel's 80 s of pacing in a sixth of a second
WITHIN = 60.0  # a hang guard only: nothing here asserts how fast the machine is


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(env_file=None, database_url=db_url, telegram_session=tmp_path / "pulse.session")


async def _until(condition: object, within: float = WITHIN) -> None:
    async with asyncio.timeout(within):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110 - set by the app's tasks
            await asyncio.sleep(0.02)


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[tuple[App, BotAPIServer]]:
    wiring, server = await sandbox_wiring(settings, Knobs(scale=FAST))
    assert isinstance(server, BotAPIServer)
    app = await start_app(wiring)
    serving = asyncio.create_task(app.serve(stop := asyncio.Event()))
    try:
        yield app, server
    finally:
        stop.set()
        await serving
        await app.close()
        await wiring.close()


async def test_an_admin_adds_a_channel_and_hears_when_its_first_collection_is_done(running) -> None:
    app, server = running
    await server.send_message(SANDBOX_ADMIN, "/add_channel @pulse_tech")
    [queued, done] = await server.next_messages(SANDBOX_ADMIN, 2, within=WITHIN)
    assert "Queued" in queued.text and "@pulse_tech" in queued.text
    found = re.search(r"First collection of Pulse Tech Digest \(@pulse_tech\) is done: (\d+) posts stored",
                      done.text)
    assert found, done.text
    async with read(app.engine) as conn:
        stored = sum((await PostRepo(conn).count_by_channel()).values())
        [run] = await RunRepo(conn).recent()
    # Its page of 50 messages, less the service messages among them (they are no posts).
    assert 45 <= int(found.group(1)) == stored == run.fetched <= 50 and run.error is None


async def test_the_summary_says_what_runs_and_how_fast_it_may_collect(running) -> None:
    app, _ = running
    [line] = await summary(app)
    assert line.startswith("ChannelPulse running as @pulse_test_bot: 0 channel(s) tracked, nothing to "
                           "collect yet (collection runs every 60 min), 0 digest(s) scheduled; "
                           "pacing 0.5 s per message, "
                           "+3 s every 5, +10 s every 20, 8 s between channels")


async def test_an_unsafe_override_adds_a_warning_line(running) -> None:
    app, _ = running
    unsafe = app.wiring.settings.model_copy(update={"mtproto_unsafe_override": True,
                                                    "mtproto_message_delay": 0.1})
    app.wiring = replace(app.wiring, settings=unsafe)
    lines = await summary(app)
    assert lines[1] == ("WARNING: MTPROTO_UNSAFE_OVERRIDE is on, pacing may go faster than the safe limits "
                        "(MTPROTO_MESSAGE_DELAY=0.1 is below the safe minimum 0.5)")


async def test_sigterm_in_the_middle_of_a_pause_stops_without_sitting_it_out(settings: Settings) -> None:
    # Real-time pacing: Telegram asks for 20 minutes on the first page, and the stop comes in them.
    wiring, _ = await sandbox_wiring(settings, Knobs(scale=1.0, floods=(("history", 1200, 1),)))
    stop = asyncio.Event()
    lines: list[str] = []
    loop = asyncio.get_running_loop()
    pause: dict[str, float] = {}

    async def started(app: App) -> None:
        await app.collector.enqueue(["@pulse_news"], added_by=None)

        async def stop_in_a_pause() -> None:
            await _until(lambda: app.collector.state().wait_layer == "flood_wait")
            until = app.collector.state().wait_until
            assert until is not None
            pause["ends"] = loop.time() + (until - app.wiring.clock.now()).total_seconds()
            stop.set()

        asyncio.create_task(stop_in_a_pause())  # noqa: RUF006 - ends before the app does

    try:
        task = asyncio.create_task(run_until_stopped(wiring, stop, lines.append, started))
        await _until(stop.is_set)
        async with asyncio.timeout(WITHIN):  # far less than the pause: a stop that sat it out hangs
            code = await task
        stopped = loop.time()
    finally:
        await wiring.close()
    # Stopped before the pause it came in would have ended (how fast: bench_run's figure).
    assert code == 0 and stopped < pause["ends"]
    assert lines[0].startswith("ChannelPulse running as @pulse_test_bot")


async def test_a_refused_token_is_one_line_and_nothing_is_left_open(settings: Settings) -> None:
    wiring, _ = await sandbox_wiring(settings, Knobs(scale=FAST))
    wrong = wiring.settings.model_copy(update={"bot_token": SecretStr("42:not-the-servers-token")})
    try:
        with pytest.raises(StartupError, match="BOT_TOKEN was refused by Telegram: copy the token again"):
            await start_app(replace(wiring, settings=wrong))
    finally:
        await wiring.close()


async def test_a_database_that_cannot_be_opened_is_one_line(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the database folder should be")
    wiring, _ = await sandbox_wiring(settings, Knobs(scale=FAST))
    broken = wiring.settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/blocker/x.db"})
    try:
        with pytest.raises(StartupError) as caught:
            await start_app(replace(wiring, settings=broken))
    finally:
        await wiring.close()
    text = str(caught.value)
    assert text.startswith(f"cannot open the database sqlite+aiosqlite:///{tmp_path}/blocker/x.db: ")
    assert "\n" not in text


async def test_a_collection_that_meets_a_locked_database_is_retried_not_failed() -> None:
    calls: list[str] = []

    async def drain() -> None:
        calls.append("drain")
        if len(calls) == 1:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(drain, "interval", minutes=60, id=JOB_ID, next_run_time=datetime.now(UTC))
    retry_collection_when_locked(scheduler, drain)
    scheduler.start()
    try:
        await _until(lambda: len(calls) == 2)
    finally:
        scheduler.shutdown(wait=False)


async def test_the_summary_names_the_run_that_collects_a_recently_collected_channel(
    settings: Settings,
) -> None:
    wiring, _server = await sandbox_wiring(settings, Knobs(scale=FAST))
    now = wiring.clock.now()
    engine = await open_database(settings.database_url)
    async with write(engine) as conn:
        channel, _ = await ChannelRepo(conn).add("@pulse_tech", "pulse_tech", None, now - timedelta(hours=1))
        await ChannelRepo(conn).update(
            channel.id, status="active", last_collected_at=now - timedelta(minutes=5),
            # Due before the job's next run but not at start-up: 100 h on the fast clock is 12 min
            # of wall time, which no start-up takes (30 min was 3.6 s, which a loaded one did).
            next_collection_at=now + timedelta(hours=100),
        )
    await engine.dispose()
    app = await start_app(wiring)
    try:
        [line] = await summary(app)
        after = wiring.clock.now()
    finally:
        await app.close()
        await wiring.close()
    # The run at start finds it not due; the job's next run (an hour of wall time, 500 h on the
    # sandbox's fast clock) is the one that collects it, and the summary says so, not "now". The job
    # was scheduled between `now` and `after` (minutes apart on this clock on a loaded machine).
    found = re.search(r"1 channel\(s\) tracked, next collection (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", line)
    assert found, line
    at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    hour = timedelta(minutes=60) / FAST
    assert now + hour - timedelta(minutes=1) <= at <= after + hour
