"""The running process's heartbeat: each component's sign of life, and `status --check` on it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.health import NO_PROCESS, health_line
from app.liveness import COLLECTION, POLLING, SCHEDULER, stale_limits
from app.lock import SessionLock
from app.run import App, start_app
from app.sandbox_wiring import SANDBOX_ADMIN, Knobs, sandbox_wiring
from clock import VirtualClock
from sandbox.botapi import BotAPIServer
from settings import Settings, load_settings
from storage.db import read, write
from storage.heartbeats import Heartbeat, HeartbeatRepo
from storage.migrate import open_database

ROOT = Path(__file__).resolve().parents[2]
MIN = timedelta(minutes=1)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(env_file=None, database_url=db_url, telegram_session=tmp_path / "pulse.session")


async def _beats(app: App) -> dict[str, Heartbeat]:
    async with read(app.engine) as conn:
        return {b.component: b for b in await HeartbeatRepo(conn).list()}


@pytest.fixture
async def running(settings: Settings, now: datetime) -> AsyncIterator[tuple[App, BotAPIServer, VirtualClock]]:
    wall = VirtualClock(now)
    wiring, server = await sandbox_wiring(settings, Knobs(scale=0.002))
    assert isinstance(server, BotAPIServer)
    app = await start_app(wiring, wall_clock=wall)
    serving = asyncio.create_task(app.serve(stop := asyncio.Event()))
    try:
        yield app, server, wall
    finally:
        stop.set()
        await serving
        await app.close()
        await wiring.close()


async def test_a_started_app_beats_and_a_hung_collector_is_named(running, now: datetime) -> None:
    app, server, wall = running
    beats = await _beats(app)
    assert set(beats) == {SCHEDULER, COLLECTION, POLLING}
    assert all(b.beat_at == now for b in beats.values())
    assert health_line(list(beats.values()), now + MIN)[0]

    # Five hours on, the polling loop answers an update and the scheduler ticks, but no
    # collection round has come: only the collector is named.
    wall.advance(5 * 3600)
    await server.send_message(SANDBOX_ADMIN, "/start")
    await server.next_messages(SANDBOX_ADMIN, 1, within=20)
    await app.liveness.record(app.engine)  # the scheduler's tick, without waiting 30 s for it
    beats = await _beats(app)
    assert beats[POLLING].beat_at == beats[SCHEDULER].beat_at == wall.now()
    healthy, line = health_line(list(beats.values()), wall.now())
    assert not healthy
    assert line.startswith("unhealthy: stale collection round 5.0h ago (limit 4.0h)")
    assert "scheduler" not in line and "polling" not in line

    # A round (the job's run) marks the collector alive again.
    async with asyncio.timeout(30):
        while app.collector.state().collecting:  # noqa: ASYNC110 - the round at start-up ends first
            await asyncio.sleep(0.02)
    await app.collector.drain()
    await app.liveness.record(app.engine)
    assert health_line(list((await _beats(app)).values()), wall.now())[0]


async def test_a_clean_stop_clears_the_heartbeat(settings: Settings, now: datetime) -> None:
    wiring, _ = await sandbox_wiring(settings, Knobs(scale=0.002))
    try:
        app = await start_app(wiring, wall_clock=VirtualClock(now))
        assert await _beats(app)
        engine = await open_database(settings.database_url)
        await app.close()
        async with read(engine) as conn:
            assert await HeartbeatRepo(conn).list() == []
        await engine.dispose()
    finally:
        await wiring.close()


def test_the_limits_are_a_few_intervals_of_each_component(settings: Settings) -> None:
    limits = stale_limits(settings.model_copy(update={"collect_interval_minutes": 30,
                                                      "mtproto_max_flood_wait": 600}))
    assert limits == {SCHEDULER: 2 * MIN, COLLECTION: 100 * MIN, POLLING: 5 * MIN}


def test_the_line_names_every_stale_component(now: datetime) -> None:
    beats = [Heartbeat(SCHEDULER, now - 10 * MIN, 2 * MIN, 7), Heartbeat(POLLING, now - 6 * MIN, 5 * MIN, 7),
             Heartbeat(COLLECTION, now - 30 * MIN, 240 * MIN, 7)]
    assert health_line(beats, now) == (
        False,
        "unhealthy: stale scheduler tick 10m ago (limit 120s); bot polling 360s ago (limit 300s) (pid 7)",
    )
    assert health_line([], now) == (False, NO_PROCESS)


def _check(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite+aiosqlite:///data/pulse.db"}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "status", "--check"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


async def _write_beats(db_url: str, beats: list[Heartbeat]) -> None:
    engine = await open_database(db_url)
    async with write(engine) as conn:
        for beat in beats:
            await HeartbeatRepo(conn).save(beat)
    await engine.dispose()


async def test_status_check_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'pulse.db'}"
    never = _check(tmp_path)
    assert never.returncode == 1 and never.stdout.splitlines() == [NO_PROCESS]

    # Times on the real clock, as the running process writes them; margins of minutes either way.
    real_now = datetime.now(UTC)
    await _write_beats(url, [Heartbeat(SCHEDULER, real_now, 2 * MIN, 42),
                             Heartbeat(COLLECTION, real_now - 20 * MIN, 240 * MIN, 42)])
    lock = SessionLock(tmp_path / "data" / "pulse.session")  # held as the running process holds it
    lock.acquire()
    try:
        fresh = _check(tmp_path)
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
        assert len(fresh.stdout.splitlines()) == 1 and fresh.stdout.startswith("healthy: ")
        assert "collection round 20m ago" in fresh.stdout

        await _write_beats(url, [Heartbeat(SCHEDULER, real_now - 10 * MIN, 2 * MIN, 42)])
        stale = _check(tmp_path)
        assert stale.returncode == 1
        assert stale.stdout.splitlines() == ["unhealthy: stale scheduler tick 10m ago (limit 120s) (pid 42)"]
    finally:
        lock.release()
    # Killed (no clean stop cleared its rows): nobody holds the session, whatever the rows say.
    killed = _check(tmp_path)
    assert killed.returncode == 1
    assert killed.stdout.startswith("unhealthy: no ChannelPulse process is running (pid 42 last beat ")


def test_status_check_on_a_database_it_cannot_open(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pulse.db").write_bytes(b"not a database" * 100)
    proc = _check(tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "unhealthy: cannot open the database sqlite+aiosqlite:///data/pulse.db: file is not a database; "
        "the file is not a database or is damaged: check DATABASE_URL, or restore a backup"
    ]
