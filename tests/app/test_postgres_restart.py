"""PostgreSQL restarted while the split roles run: `bot --sandbox` and `collector --sandbox` on a server
of the test's own, restarted (a fast shutdown, a few seconds gone) while a channel's posts are being
stored. Both processes ride it out, every channel ends with a finished run, and the database holds the
sandbox's posts exactly, none twice. Stopped while the server is still gone, both still exit 0."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import asyncpg
import psycopg
import pytest

from app.sandbox_wiring import SANDBOX_ADMIN
from collector.service import LOST_MID_RUN
from sandbox.botapi import BotAPIServer
from storage.migrate import open_database
from tests.app.split_roles import WITHIN, Roles, until
from tests.drills.harness import check_against_truth, collected, query, sandbox_now
from tests.postgres_server import ThrowawayServer, find_binaries, why_no_throwaway

pytestmark = pytest.mark.skipif(why_no_throwaway() is not None,
                                reason=f"PostgreSQL: no server to restart ({why_no_throwaway()})")

CHANNELS = ("pulse_news", "pulse_tech")
SCALE = 0.2  # pacing 5x faster than real time: a channel's run takes well over ten seconds
DOWN_SECONDS = 5.0  # how long the server is gone: long enough for every loop to meet it


@dataclass
class Restartable:
    server: ThrowawayServer
    url: str


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Restartable]:
    """A throwaway server of this test alone (the session's is shared), with a migrated database."""
    binaries = find_binaries()
    assert binaries is not None
    server = ThrowawayServer(binaries)
    try:
        cluster = server.start()
        url = cluster.sqlalchemy_url("pulse")

        async def create() -> None:
            admin = await asyncpg.connect(cluster.asyncpg_dsn())
            try:
                await admin.execute('CREATE DATABASE "pulse"')
            finally:
                await admin.close()
            await (await open_database(url)).dispose()

        asyncio.run(create())
        yield Restartable(server, url)
    finally:
        server.stop()


async def _posts(url: str) -> int:
    """Stored posts, read in a thread (the Bot API server shares this loop); 0 while the server is down."""
    try:
        rows = await asyncio.to_thread(query, url, "SELECT COUNT(*) FROM posts")
    except psycopg.OperationalError:
        return 0
    return rows[0][0] if rows else 0


async def _collected(url: str) -> bool:
    try:
        return await asyncio.to_thread(collected, url, *CHANNELS)
    except psycopg.OperationalError:
        return False


def _roles(tmp_path: Path, url: str) -> Roles:
    roles = Roles(tmp_path, url, "")
    roles.env |= {"SANDBOX_TIME_SCALE": str(SCALE), "LOG_LEVEL": "INFO"}
    return roles


async def _storing(roles: Roles, server: BotAPIServer, url: str) -> tuple[Popen[bytes], Popen[bytes]]:
    """`bot --sandbox` with the channels queued and `collector --sandbox`, once posts are being stored."""
    server.open_chat(SANDBOX_ADMIN, "Admin")
    roles.env["BOT_API_URL"] = server.base_url
    bot = roles.start("bot", SANDBOX_CHANNELS=",".join(CHANNELS))
    collector = roles.start("collector")

    async def storing() -> bool:
        return await _posts(url) >= 3

    await until(storing, within=WITHIN * 2)  # two Python processes start first
    return bot, collector


async def test_both_roles_ride_out_a_postgres_restart_mid_channel(
    restartable: Restartable, tmp_path: Path,
) -> None:
    url = restartable.url
    roles = _roles(tmp_path, url)
    try:
        async with BotAPIServer() as server:
            bot, collector = await _storing(roles, server, url)
            await asyncio.to_thread(restartable.server.restart, DOWN_SECONDS)
            restarted = await _posts(url)

            async def finished() -> bool:
                return await _collected(url)

            await until(finished, within=WITHIN * 3)
            alive = {"bot": bot.poll() is None, "collector": collector.poll() is None}
            outputs = {"bot": roles.output(bot), "collector": roles.output(collector)}
            codes = roles.stop_all()
    finally:
        roles.stop_all()
    assert alive == {"bot": True, "collector": True}, outputs
    assert codes == [0, 0], outputs
    at = sandbox_now(float(roles.env["SANDBOX_ANCHOR"]), SCALE)
    stored = {name: check_against_truth(url, name, at) for name in CHANNELS}
    assert sum(stored.values()) > restarted  # collection went on after the restart
    # A run the restart cut is recorded as such, with its posts kept; none is left unfinished.
    runs = query(url, "SELECT finished_at IS NOT NULL, error FROM runs")
    assert runs and all(finished for finished, _ in runs), runs
    assert {error for _, error in runs} <= {None, LOST_MID_RUN}, runs
    for role, text in outputs.items():
        # Each process said what happened, once per outage, and nothing per retry.
        assert "the database is unreachable (" in text and "the database answers again" in text, text
        assert text.count("the database is unreachable (") == text.count("the database answers again")
        assert "Traceback" not in text and "error connecting" not in text, f"{role}:\n{text}"


async def test_both_roles_stop_while_the_database_is_gone(restartable: Restartable, tmp_path: Path) -> None:
    url = restartable.url
    roles = _roles(tmp_path, url)
    try:
        async with BotAPIServer() as server:
            bot, collector = await _storing(roles, server, url)
            await asyncio.to_thread(restartable.server.shut_down)

            async def told() -> bool:
                return all("the database is unreachable (" in roles.output(p) for p in (bot, collector))

            await until(told)
            # Nothing of either may wait for the database to come back (the stop waits up to WITHIN).
            codes = await asyncio.to_thread(roles.stop_all)
            outputs = {"bot": roles.output(bot), "collector": roles.output(collector)}
    finally:
        roles.stop_all()
    assert codes == [0, 0], outputs
    assert "collector stopped while the database is unreachable" in outputs["collector"]
    assert "stopped while the database is unreachable" in outputs["bot"]
