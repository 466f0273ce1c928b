"""`status --check --role`: in the split, each container's health check judges its own process."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from app.health import check_command, of_role
from settings import load_settings
from storage.db import write
from storage.heartbeats import Heartbeat, HeartbeatRepo, collector_component


async def test_each_role_is_judged_by_its_own_heartbeat(engine, db_url: str, now, tmp_path: Path) -> None:
    limit = timedelta(minutes=2)
    async with write(engine) as conn:
        for component, age in (("scheduler", 10), ("polling", 20),
                               (collector_component(tmp_path / "pulse.session"), 600)):
            await HeartbeatRepo(conn).save(Heartbeat(component, now - timedelta(seconds=age), limit, 7))
    # No process holds this session's lock: the bot role has no session to judge by.
    settings = load_settings(env_file=None, database_url=db_url, telegram_session=tmp_path / "pulse.session")
    lines = {}
    codes = {}
    for role in ("bot", "collector", None):
        out = io.StringIO()
        codes[role] = await check_command(settings, now, out, role=role)
        lines[role] = out.getvalue().strip()
    assert codes["bot"] == 0
    assert lines["bot"] == "healthy: bot polling 20s ago, scheduler tick 10s ago (pid 7)"
    assert codes["collector"] == 1 and lines["collector"].startswith("unhealthy: no ChannelPulse process")
    assert codes[None] == 1


def test_a_collector_is_judged_by_its_own_row_not_another_account_s(now, tmp_path: Path) -> None:
    mine, other = tmp_path / "pulse.session", tmp_path / "acc2.session"
    limit = timedelta(minutes=2)
    beats = [Heartbeat(collector_component(mine), now - timedelta(seconds=5), limit, 7),
             Heartbeat(collector_component(other), now - timedelta(hours=1), limit, 8)]
    assert [b.pid for b in of_role(beats, "collector", mine)] == [7]  # the other's staleness is its own
