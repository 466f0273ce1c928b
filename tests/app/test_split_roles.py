"""`python main.py bot --sandbox` and `python main.py collector --sandbox` as separate processes on a
throwaway PostgreSQL: an admin's channel is collected by the collector and the admin hears it from
the bot; a collector killed mid-channel leaves a job that the next collector finishes, nothing lost
or stored twice; on SQLite, `bot` says in one line that the split needs PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox_wiring import SANDBOX_ADMIN
from sandbox.botapi import BotAPIServer
from storage.channels import ChannelRepo
from storage.db import read
from storage.migrate import open_database
from storage.posts import PostRepo
from storage.runs import RunRepo
from tests.app.split_roles import MAIN, WITHIN, Roles, until
from tests.drills.harness import check_against_truth, sandbox_now


@pytest.fixture
def roles(tmp_path: Path, queue_db_url: str) -> Iterator[Roles]:
    made = Roles(tmp_path, queue_db_url, "")
    yield made
    made.stop_all()


async def _posts(engine: AsyncEngine) -> int:
    async with read(engine) as conn:
        return sum((await PostRepo(conn).count_by_channel()).values())


async def test_the_admin_hears_from_the_bot_what_the_collector_collected(
    roles: Roles, queue_db_url: str,
) -> None:
    async with BotAPIServer() as server:
        server.open_chat(SANDBOX_ADMIN, "Admin")
        roles.env["BOT_API_URL"] = server.base_url
        roles.start("bot")
        roles.start("collector")
        await server.send_message(SANDBOX_ADMIN, "/add_channel @pulse_tech")
        # Two Python processes start first: on a loaded machine that alone takes a while.
        [queued, done] = await server.next_messages(SANDBOX_ADMIN, 2, within=WITHIN * 2)
        codes = roles.stop_all()
    assert "Queued" in queued.text and "@pulse_tech" in queued.text
    found = re.search(r"First collection of Pulse Tech Digest \(@pulse_tech\) is done: (\d+) posts stored",
                      done.text)
    assert found, done.text
    engine = await open_database(queue_db_url)
    try:
        assert await _posts(engine) == int(found.group(1))
    finally:
        await engine.dispose()
    assert codes == [0, 0]


async def test_a_collector_killed_mid_channel_leaves_it_to_the_next_one(
    roles: Roles, queue_db_url: str,
) -> None:
    engine = await open_database(queue_db_url)
    try:
        async with BotAPIServer() as server:
            server.open_chat(SANDBOX_ADMIN, "Admin")
            roles.env["BOT_API_URL"] = server.base_url
            # Pacing 5x faster than real time (every role on one sandbox timeline): the channel's
            # run takes at least 16 s, and the kill comes in it.
            roles.env["SANDBOX_TIME_SCALE"] = "0.2"
            roles.start("bot", SANDBOX_CHANNELS="pulse_news")
            first = roles.start("collector")

            async def storing() -> bool:
                return await _posts(engine) >= 3

            await until(storing)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=WITHIN)
            before = await _posts(engine)
            # What a minute without the dead worker's heartbeat would show (procrastinate's
            # heartbeats are on the database's clock); the bot's worker beats on.
            async with engine.begin() as conn:
                await conn.execute(text(
                    "UPDATE procrastinate_workers "
                    "SET last_heartbeat = last_heartbeat - interval '10 minutes' "
                    "WHERE id IN (SELECT worker_id FROM procrastinate_jobs WHERE status = 'doing')"))
            roles.start("collector")

            async def finished() -> bool:
                async with read(engine) as conn:
                    return any(r.finished_at for r in await RunRepo(conn).recent())

            await until(finished, within=WITHIN * 2)
            # Channels from SANDBOX_CHANNELS have no admin's /add_channel to answer: one message.
            [done] = await server.next_messages(SANDBOX_ADMIN, 1, within=WITHIN)
        async with read(engine) as conn:
            second, killed = await RunRepo(conn).recent()
            [channel] = await ChannelRepo(conn).list_all()
        total = await _posts(engine)
        at = sandbox_now(float(roles.env["SANDBOX_ANCHOR"]), 0.2)
    finally:
        await engine.dispose()
    # Post by post as the sandbox shows them: none lost in the kill, none stored twice.
    assert await asyncio.to_thread(check_against_truth, queue_db_url, "pulse_news", at) == total
    assert killed.finished_at is None  # the process died mid-write of its record
    assert second.error is None and channel.last_collected_at is not None
    # The second run read the newest page again (the channel grew meanwhile): the killed run's posts
    # stay, the page is all stored, and only what the killed run had not stored came in new.
    assert 0 < before < total and second.fetched <= total
    assert second.new == total - before
    assert "First collection of Pulse News" in done.text


def test_bot_on_sqlite_is_one_line_naming_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "DATABASE_"))}
    env |= {"BOT_TOKEN": "123456:AAE-abcdefghijklmnopqrstuvwxyz012345", "ADMIN_IDS": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pulse.db'}"}
    done = subprocess.run([sys.executable, MAIN, "bot"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=WITHIN)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "needs PostgreSQL" in line and "python main.py run" in line
