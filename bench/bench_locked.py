"""A command sent while another process holds SQLite's write lock, with the production timeouts.

Another process (a plain sqlite3 connection, as `collect` or an sqlite3 shell) holds the write lock
for H seconds; the admin sends `/digest daily HH:MM` (a write) at once. Measured: how long after
the release the answer arrives at the local Bot API server, and that it arrives exactly once. Then
a lock that is never released: how long the admin waits for the one-line "busy" answer.

Run: `.venv/bin/python -m bench bench_locked` or `python -m bench.bench_locked --holds 3 12 25`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import tempfile
import time
from pathlib import Path

from bot.app import create_bot, create_dispatcher
from bot.digest.jobs import Digests
from bot.handlers.errors import BUSY
from bot.notifier import BotNotifier
from clock import ScaledClock
from collector.pacing import PacingConfig
from sandbox.botapi import DEFAULT_TOKEN, BotAPIServer
from sandbox.collector import sandbox_collector
from settings import load_settings
from storage import db
from storage.migrate import open_database

ADMIN = 1001


async def hold(path: Path, seconds: float | None) -> float:
    """Hold the write lock for `seconds` (None: until cancelled); returns when it was released."""
    conn = await asyncio.to_thread(sqlite3.connect, path, isolation_level=None, check_same_thread=False)
    try:
        await asyncio.to_thread(conn.execute, "BEGIN IMMEDIATE")
        await asyncio.sleep(seconds if seconds is not None else 3600)
    finally:
        await asyncio.to_thread(conn.close)
    return time.perf_counter()


async def ask_while_locked(server: BotAPIServer, path: Path, seconds: float | None, minute: int) -> str:
    locker = asyncio.create_task(hold(path, seconds))
    await asyncio.sleep(0.05)  # the lock is taken before the command arrives
    sent = time.perf_counter()
    await server.send_message(ADMIN, f"/digest daily 09:{minute:02d}")
    (reply,) = await server.next_messages(ADMIN, within=120)
    released: float | None = None
    if seconds is None:
        locker.cancel()
        await asyncio.gather(locker, return_exceptions=True)
    else:
        released = await locker
    extra = await server.drain(ADMIN, quiet=1.0)
    kind = "busy line" if reply.text == BUSY else "normal answer"
    if kind == "normal answer" and not reply.text.startswith("Subscribed"):
        kind = f"unexpected answer {reply.text[:40]!r}"
    count = 1 + len(extra)
    if released is None:
        return f"held until answered: {kind} after {reply.at - sent:5.1f} s; messages: {count}"
    return (
        f"held {seconds:4.1f} s: {kind} {reply.at - released:+.2f} s after the release "
        f"({reply.at - sent:5.1f} s after sending); messages: {count}"
    )


async def run(holds: list[float], give_up: bool, folder: Path) -> int:
    path = folder / "bench_locked.db"
    settings = load_settings(
        env_file=None, bot_token=DEFAULT_TOKEN, admin_ids=[ADMIN], database_url=f"sqlite+aiosqlite:///{path}"
    )
    engine = await open_database(settings.database_url)
    clock = ScaledClock(1.0)
    async with BotAPIServer() as server:
        server.open_chat(ADMIN)
        settings = settings.model_copy(update={"bot_api_url": server.base_url})
        bot = create_bot(settings)
        collector, _ = sandbox_collector(
            engine, clock, PacingConfig.from_settings(settings), BotNotifier(bot, engine, settings, clock)
        )
        dp = create_dispatcher(
            engine=engine, settings=settings, clock=clock, collector=collector,
            digests=Digests(engine, bot, settings, clock),
        )
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=10))
        print(
            f"SQLite busy timeout {db.BUSY_TIMEOUT_MS / 1000:g} s, then retries after "
            f"{', '.join(f'{p:g}' for p in db.LOCK_BACKOFF)} s; a write command sent as the lock is taken"
        )
        try:
            for minute, seconds in enumerate(holds):
                print(await ask_while_locked(server, path, seconds, minute), flush=True)
            if give_up:
                print(await ask_while_locked(server, path, None, 59), flush=True)
        finally:
            await collector.aclose()
            await dp.stop_polling()
            await polling
    await engine.dispose()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_locked", description=__doc__.splitlines()[0])
    parser.add_argument("--holds", type=float, nargs="*", default=[3.0, 12.0, 25.0])
    parser.add_argument("--no-give-up", action="store_true", help="skip the never-released lock (~45 s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="channelpulse-bench-locked-") as folder:
        return asyncio.run(run(args.holds, not args.no_give_up, Path(folder)))


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
