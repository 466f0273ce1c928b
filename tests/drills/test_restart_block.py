"""Drill: Telegram asks for a 7200 s wait, the process is stopped and started again, an admin adds a
channel; nothing reaches Telegram until the wait is over, and /status says when that is."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.botapi import BotAPIServer
from tests.drills.harness import (
    START_WITHIN,
    query,
    sandbox_env,
    sandbox_now,
    start,
    terminate_all,
    wait_until,
)

ADMIN = 4242
DB = Path("data/pulse.db")
# 7200 s of sandbox time is 12 min here: the checks before it ends (two starts, two commands)
# fit in it while each start stays within the drills' hang guard.
SCALE = 0.1


def anchor_for(at: datetime, scale: float) -> float:
    """The SANDBOX_ANCHOR that makes sandbox time `at` now (a process started with it has lived
    through the time in between, as after a long stop)."""
    return (at.timestamp() - time.time() / scale) / (1 - 1 / scale)


def stored(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def requests(db: Path) -> list[tuple[int, datetime, str]]:
    rows = query(db, "SELECT id, at, method FROM account_requests ORDER BY id")
    return [(i, stored(at), m) for i, at, m in rows]


async def test_a_flood_wait_survives_a_restart_and_a_new_channel_waits_for_it(tmp_path: Path) -> None:
    db = tmp_path / DB
    anchor = time.time()
    async with BotAPIServer() as server:
        server.open_chat(ADMIN, "Admin")
        env = sandbox_env(SCALE, anchor, BOT_API_URL=server.base_url, ADMIN_IDS=str(ADMIN))
        first = start(tmp_path, "run", "--sandbox", name="first",
                      env={**env, "SANDBOX_CHANNELS": "pulse_news", "SANDBOX_FLOOD_WAIT": "history:7200"})
        try:
            await asyncio.to_thread(first.wait_for, "FloodWait 7200 s on GetHistory")
            # Stopped once the admin was told: a stop sent on the log line alone can land before
            # the collector has settled the run (seen on a loaded machine).
            [told] = await server.next_messages(ADMIN, 1, within=START_WITHIN)
            code, _ = await asyncio.to_thread(first.stop)
        finally:
            terminate_all(first)
        assert code == 0
        assert "wait 7,200 s before reading @pulse_news" in told.text
        [(until_text, scope)] = query(db, "SELECT until, scope FROM account_blocks")
        until, sent_before = stored(until_text), len(requests(db))
        assert scope == "account"

        second = start(tmp_path, "run", "--sandbox", name="second", env=env)
        try:
            await asyncio.to_thread(second.wait_for, "running as @")
            await server.send_message(ADMIN, "/add_channel @pulse_tech", first_name="Admin")
            [queued] = await server.next_messages(ADMIN, 1, within=START_WITHIN)
            assert "Queued: @pulse_tech" in queued.text
            await server.send_message(ADMIN, "/status", first_name="Admin")
            [status] = await server.next_messages(ADMIN, 1, within=START_WITHIN)
            assert f"blocked until {until:%H:%M} UTC by a 7200 s FloodWait on GetHistory" in status.text
            assert sandbox_now(anchor, SCALE) < until and len(requests(db)) == sent_before
            code, _ = await asyncio.to_thread(second.stop)
        finally:
            terminate_all(second)
        assert code == 0 and len(requests(db)) == sent_before  # nothing was sent by the second

        # Started again once the wait is over: the new channel is resolved, and read.
        later = {**env, "SANDBOX_ANCHOR": str(anchor_for(until + timedelta(seconds=60), SCALE))}
        third = start(tmp_path, "run", "--sandbox", name="third", env=later)
        try:
            def resolved() -> bool:
                return any(m == "contacts.ResolveUsername" for _, _, m in requests(db)[sent_before:])

            await asyncio.to_thread(wait_until, resolved, START_WITHIN, "the new channel resolved", third)
            code, _ = await asyncio.to_thread(third.stop)
        finally:
            terminate_all(third)
    assert code == 0
    after = requests(db)[sent_before:]
    assert all(at >= until for _, at, _ in after)  # nothing before the wait was over
    assert "Traceback" not in first.output + second.output + third.output
