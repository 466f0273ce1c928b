"""ScheduleRepo: the running process's `collect` job schedule, for readers without a scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.tables import job_schedule


@dataclass(frozen=True)
class JobSchedule:
    job_id: str
    next_run_at: datetime | None
    interval: timedelta
    pid: int  # the process whose scheduler this is; a stopped process's schedule means nothing
    running: bool  # a run of the job is under way
    updated_at: datetime


class ScheduleRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def save(self, schedule: JobSchedule) -> None:
        values = {
            "next_run_at": schedule.next_run_at, "interval_seconds": schedule.interval.total_seconds(),
            "pid": schedule.pid, "running": schedule.running, "updated_at": schedule.updated_at,
        }
        stmt = insert_for(self.conn, job_schedule).values(job_id=schedule.job_id, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["job_id"], set_=values))

    async def get(self, job_id: str) -> JobSchedule | None:
        stmt = select(job_schedule).where(job_schedule.c.job_id == job_id)
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return None
        return JobSchedule(
            row.job_id, row.next_run_at, timedelta(seconds=row.interval_seconds), row.pid,
            bool(row.running), row.updated_at,
        )
