"""`bot` and `collector` as main.py calls them: the roles `run` splits into on PostgreSQL, each with
`--sandbox` for drills and tests (the sandbox Telegram and Bot API, as `run --sandbox` wires them)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from app.launch import SANDBOX_DATABASE_URL, say, stop_on_signals
from app.lock import SessionLock, SessionLockError
from settings import Settings, normalize_database_url, shown_url

if TYPE_CHECKING:
    from app.run import App
    from app.sandbox_wiring import Knobs


def bot_command(settings: Settings, sandbox: bool = False) -> int:
    try:
        return asyncio.run(_bot(settings, sandbox))
    except KeyboardInterrupt:
        say("stopped during start-up; nothing was running yet")
        return 0


def collector_command(settings: Settings, sandbox: bool = False) -> int:
    """Hold the session's lock for the process's life, as `run` does: one client per session."""
    lock = SessionLock(settings.telegram_session)
    try:
        lock.acquire()
    except SessionLockError as exc:
        say(str(exc))
        return 2
    try:
        return asyncio.run(_collector(settings, sandbox))
    except KeyboardInterrupt:
        say("stopped during start-up; nothing was running yet")
        return 0
    finally:
        lock.release()


async def _database_ready(command: str, settings: Settings) -> bool:
    """The split's database: False (after one line naming `run`) when it is SQLite; otherwise
    migrated and reachable, or StartupError saying what to check."""
    from app.run import check_database
    from collector.tasks import NeedsPostgres, conninfo

    try:
        conninfo(settings.database_url)
    except NeedsPostgres as exc:
        say(f"{command}: {exc}")
        return False
    await check_database(settings.database_url)
    return True


def _sandbox(settings: Settings) -> tuple[Settings, Knobs]:
    """The sandbox's own database and knobs; the roles of one sandbox share one timeline, so they
    need the same SANDBOX_ANCHOR and SANDBOX_TIME_SCALE."""
    from app.sandbox_wiring import BANNER, Knobs

    say(BANNER)
    url = normalize_database_url(os.environ.get("SANDBOX_DATABASE_URL") or SANDBOX_DATABASE_URL)
    say(f"SANDBOX: using its own database, {shown_url(url)} (SANDBOX_DATABASE_URL chooses another)")
    knobs = Knobs.from_env(os.environ)
    if knobs.anchor is None:
        # The bot's and the collectors' sandbox clocks must agree on one timeline.
        hour = time.time() // 3600 * 3600
        knobs = dataclasses.replace(knobs, anchor=hour)
        say(f"SANDBOX: SANDBOX_ANCHOR={hour:.0f} (the hour's start; every role needs the same anchor "
            "and time scale)")
    return settings.model_copy(update={"database_url": url}), knobs


async def _bot(settings: Settings, sandbox: bool) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop)
    from app.bot_role import BotRole
    from app.run import check_bot, run_until_stopped
    from app.sandbox_wiring import KnobError
    from app.wiring import StartupError, Wiring
    from clock import RealClock
    from collector.tasks import build_task_app
    from storage.outage import DatabaseOutage

    started: Callable[[App], Awaitable[None]] | None = None
    try:
        if sandbox:
            from app.launch import _queue
            from app.sandbox_wiring import sandbox_wiring

            settings, knobs = _sandbox(settings)
            if not await _database_ready("bot", settings):
                return 2
            wiring, _server = await sandbox_wiring(settings, knobs, collecting=False)
            started = _queue(list(knobs.channels))
        else:
            if not await _database_ready("bot", settings):
                return 2

            async def nothing() -> None:
                return None

            wiring = Wiring(settings, None, None, RealClock(), nothing)
        problem = await check_bot(wiring.settings)
        if problem is not None:
            await wiring.close()
            raise StartupError(problem)
    except (StartupError, KnobError) as exc:
        say(str(exc))
        return 2
    outage = DatabaseOutage("the bot")  # one line per outage, whichever loop meets it first
    task_app = build_task_app(wiring.settings.database_url, outage)
    try:
        async with task_app.open_async():
            role = BotRole(task_app, wiring.settings, wiring.clock, outage)
            return await run_until_stopped(wiring, stop, say, started, role=role)
    finally:
        await wiring.close()


async def _collector(settings: Settings, sandbox: bool) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop)
    from app.collector_role import serve_collector
    from app.sandbox_wiring import KnobError
    from app.wiring import StartupError, production_wiring

    try:
        if sandbox:
            from app.sandbox_wiring import collector_sandbox_wiring

            settings, knobs = _sandbox(settings)
            if not await _database_ready("collector", settings):
                return 2
            wiring = await collector_sandbox_wiring(settings, knobs)
        else:
            if not await _database_ready("collector", settings):
                return 2
            wiring = await production_wiring(settings)
    except (StartupError, KnobError) as exc:
        say(str(exc))
        return 2
    try:
        return await serve_collector(wiring, stop, say)
    finally:
        await wiring.close()
