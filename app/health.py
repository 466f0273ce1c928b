"""`python main.py status --check`: is the running process alive? One line, exit 0 or 1, for the
container health checks. It reads the heartbeat the process writes (app/liveness.py)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from app.database import CannotOpenDatabase, open_or_explain
from app.status import process_of
from settings import Settings
from storage.db import read
from storage.heartbeats import Heartbeat, HeartbeatRepo, collector_component

NAMES = {"scheduler": "scheduler tick", "collection": "collection round", "polling": "bot polling"}
NO_PROCESS = ("unhealthy: no ChannelPulse process is running on this database (no heartbeat: "
              "`python main.py run` never ran here, or stopped)")


def span(delta: timedelta) -> str:
    """Seconds up to 10 minutes (so an age just past its limit reads as past it), then minutes,
    then hours."""
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 600:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h"


def health_line(beats: list[Heartbeat], now: datetime, process: str = "unknown") -> tuple[bool, str]:
    """(healthy, the one line saying so or naming what is stale). `process`: whether a process
    holds the session lock ("running", "stopped" or "unknown"), which tells a killed process at once."""
    if not beats:
        return False, NO_PROCESS
    pids = ", ".join(sorted({str(b.pid) for b in beats}))
    if process == "stopped":
        newest = max(b.beat_at for b in beats)
        return False, (f"unhealthy: no ChannelPulse process is running (pid {pids} last beat "
                       f"{span(now - newest)} ago and ended without a clean stop)")
    stale = [b for b in beats if b.stale(now)]
    if stale:
        what = "; ".join(
            f"{NAMES.get(b.component, b.component)} {span(b.age(now))} ago (limit {span(b.stale_after)})"
            for b in stale
        )
        return False, f"unhealthy: stale {what} (pid {pids})"
    fresh = ", ".join(f"{NAMES.get(b.component, b.component)} {span(b.age(now))} ago" for b in beats)
    return True, f"healthy: {fresh} (pid {pids})"


def of_role(beats: list[Heartbeat], role: str | None, session: Path) -> list[Heartbeat]:
    """The heartbeat rows of one role of the split: the bot's scheduler and polling, or the row of
    the collector on `session` (another account's collector is judged by its own check); `run`
    writes all of its components, and no role means every row."""
    if role == "bot":
        return [b for b in beats if b.component in ("scheduler", "polling")]
    if role == "collector":
        return [b for b in beats if b.component == collector_component(session)]
    return beats


async def check_command(
    settings: Settings, now: datetime, out: IO[str] | None = None, role: str | None = None,
) -> int:
    """Print the health line; 0 when every component of the running process (or of `role`, in the
    split) is fresh, else 1."""
    out = out if out is not None else sys.stdout
    try:
        engine = await open_or_explain(settings.database_url)
    except CannotOpenDatabase as exc:
        print(f"unhealthy: {exc}", file=out)
        return 1
    try:
        async with read(engine) as conn:
            beats = await HeartbeatRepo(conn).list()
    finally:
        await engine.dispose()
    # The bot role holds no Telegram session: only its heartbeat tells whether it runs.
    process = "unknown" if role == "bot" else process_of(settings.telegram_session)[0]
    healthy, line = health_line(of_role(beats, role, settings.telegram_session), now, process)
    print(line, file=out)
    return 0 if healthy else 1
