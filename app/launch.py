"""`run` and `run --sandbox` as main.py calls them: the session lock, the loop, the signals."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from app.lock import SessionLock, SessionLockError
from settings import Settings, normalize_database_url, shown_url

if TYPE_CHECKING:
    from app.run import App
    from app.sandbox_wiring import Knobs
    from app.wiring import Wiring


SANDBOX_DATABASE_URL = "sqlite+aiosqlite:///data/sandbox.db"


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_command(settings: Settings, sandbox: bool = False) -> int:
    """Hold the session lock for the process's life and run until SIGINT/SIGTERM; the exit code."""
    lock = SessionLock(settings.telegram_session)
    try:
        # Taken first, so this process never opens a session another one uses; a refusal is told
        # last, after the settings, database, bot token and Telegram session checks.
        lock.acquire()
        refused = None
    except SessionLockError as exc:
        refused = str(exc)
    try:
        return asyncio.run(_run(settings, sandbox, refused))
    except KeyboardInterrupt:
        # Ctrl-C before the loop could take the signal over: nothing had started, nothing to save.
        say("stopped during start-up; nothing was running yet")
        return 0
    finally:
        lock.release()


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop`; the app then stops in order instead of dying mid-write."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _run(settings: Settings, sandbox: bool, refused: str | None) -> int:
    # Signals first: a Ctrl-C during the slow imports below then stops the app in order.
    stop = asyncio.Event()
    stop_on_signals(stop)
    from app.run import run_until_stopped
    from app.wiring import StartupError

    started: Callable[[App], Awaitable[None]] | None = None
    try:
        if sandbox:
            # The only place `run` reaches the sandbox; production never imports it.
            from app.sandbox_wiring import BANNER, KnobError, Knobs

            say(BANNER)
            # Made-up channels on a fast clock must never mix with the real collection's data, so
            # DATABASE_URL (set in most .env files) is not used here; only SANDBOX_DATABASE_URL is.
            url = normalize_database_url(os.environ.get("SANDBOX_DATABASE_URL") or SANDBOX_DATABASE_URL)
            settings = settings.model_copy(update={"database_url": url})
            say(f"SANDBOX: using its own database, {shown_url(url)} "
                "(never DATABASE_URL; SANDBOX_DATABASE_URL chooses another)")
            try:
                knobs = Knobs.from_env(os.environ)
            except KnobError as exc:
                say(str(exc))
                return 2
            wiring = await _checked_sandbox(settings, knobs, refused)
            say(f"SANDBOX: pacing runs {1 / knobs.scale:g}x faster than real time "
                "(the policy still counts its full seconds)")
            started = _queue(list(knobs.channels))
        else:
            wiring = await _checked_production(settings, refused)
    except StartupError as exc:
        say(str(exc))
        return 2
    try:
        return await run_until_stopped(wiring, stop, say, started)
    finally:
        await wiring.close()


async def _checked_production(settings: Settings, refused: str | None) -> Wiring:
    """Issue 6's start-up checks in its order, each failing with its one line (StartupError):
    database, bot token, Telethon session, BOT_API_URL, session lock."""
    from app.run import check_bot, check_database
    from app.wiring import StartupError, check_session, production_wiring

    await check_database(settings.database_url)
    unreachable = await check_bot(settings)
    if refused is not None:
        # Another process uses the session: connecting to see whether it is signed in would make
        # this the second client on it, so only its presence is checked.
        check_session(settings)
        raise StartupError(unreachable or refused)
    wiring = await production_wiring(settings)
    if unreachable is not None:
        await wiring.close()
        raise StartupError(unreachable)
    return wiring


async def _checked_sandbox(settings: Settings, knobs: Knobs, refused: str | None) -> Wiring:
    """The same checks over the sandbox, whose Telegram side is always signed in."""
    from app.run import check_bot, check_database
    from app.sandbox_wiring import sandbox_wiring
    from app.wiring import StartupError

    await check_database(settings.database_url)
    wiring, _server = await sandbox_wiring(settings, knobs)
    try:
        problem = await check_bot(wiring.settings) or refused
        if problem is not None:
            raise StartupError(problem)
    except BaseException:
        await wiring.close()
        raise
    return wiring


def _queue(names: list[str]) -> Callable[[App], Awaitable[None]] | None:
    if not names:
        return None

    async def started(app: App) -> None:
        for outcome in await app.collector.enqueue(names, added_by=None):
            say(f"SANDBOX: @{outcome.text.lstrip('@')}: {outcome.kind}"
                + (f" ({outcome.reason})" if outcome.reason else ""))

    return started
