"""HeartbeatRepo: each component's last sign of life, written by the running process, read by
`status --check` in another process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.tables import heartbeats


@dataclass(frozen=True)
class Heartbeat:
    component: str  # "scheduler", "collection" or "polling"
    beat_at: datetime  # its last sign of life, on the wall clock
    stale_after: timedelta  # no sign of life for longer than this: the component hangs
    pid: int

    def age(self, now: datetime) -> timedelta:
        return now - self.beat_at

    def stale(self, now: datetime) -> bool:
        return self.age(now) > self.stale_after


class HeartbeatRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def save(self, beat: Heartbeat) -> None:
        values = {"beat_at": beat.beat_at, "stale_after_seconds": beat.stale_after.total_seconds(),
                  "pid": beat.pid}
        stmt = insert_for(self.conn, heartbeats).values(component=beat.component, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["component"], set_=values))

    async def list(self) -> list[Heartbeat]:
        rows = await self.conn.execute(select(heartbeats).order_by(heartbeats.c.component))
        return [
            Heartbeat(r.component, r.beat_at, timedelta(seconds=r.stale_after_seconds), r.pid)
            for r in rows
        ]


def collector_component(session: Path) -> str:
    """A split collector's heartbeat row, named by its session file: one per collector process, so
    its health check (`status --check --role collector`, the same TELEGRAM_SESSION) judges it alone."""
    return f"collector {session}"
