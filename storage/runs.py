"""RunRepo: one row per channel collection, with what it fetched and how long it paced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Run, RunResult
from storage.tables import runs


class RunRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def start(self, channel_id: int, now: datetime, account_id: int | None = None) -> int:
        result = await self.conn.execute(
            runs.insert().values(channel_id=channel_id, started_at=now, account_id=account_id))
        return int(result.inserted_primary_key[0])

    async def finish(self, run_id: int, result: RunResult, now: datetime) -> None:
        await self.conn.execute(
            update(runs).where(runs.c.id == run_id).values(
                finished_at=now, fetched=result.fetched, new=result.new, updated=result.updated,
                pacing_seconds=dict(result.pacing_seconds), flood_waits=result.flood_waits,
                flood_wait_seconds=result.flood_wait_seconds, error=result.error,
            )
        )

    async def get(self, run_id: int) -> Run | None:
        row = (await self.conn.execute(select(runs).where(runs.c.id == run_id))).first()
        return Run.from_row(row) if row else None

    async def latest(self, channel_id: int) -> Run | None:
        """The channel's newest run, finished or not; None when it never ran (on the channel's index)."""
        stmt = (select(runs).where(runs.c.channel_id == channel_id)
                .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1))
        row = (await self.conn.execute(stmt)).first()
        return Run.from_row(row) if row else None

    async def recent(self, limit: int = 10, channel_id: int | None = None) -> list[Run]:
        """The newest runs first."""
        stmt = select(runs).order_by(runs.c.id.desc()).limit(limit)
        if channel_id is not None:
            stmt = stmt.where(runs.c.channel_id == channel_id)
        return [Run.from_row(r) for r in await self.conn.execute(stmt)]
