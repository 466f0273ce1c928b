"""`python main.py status`: what the database says about channels, runs and digests, no bot needed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.lock import lock_holder
from clock import RealClock
from collector.ledger import AccountLedger, AccountSummary, describe
from collector.pacing import LAYERS  # runs.pacing_seconds keys, in the order a run meets them
from collector.schedule import JOB_ID, collection_time, upcoming_run
from storage.channels import COLLECTABLE, ChannelRepo
from storage.db import read
from storage.digests import DigestRepo
from storage.migrate import current_revision
from storage.models import Channel
from storage.posts import PostRepo
from storage.runs import RunRepo
from storage.schedule import ScheduleRepo
from storage.size import DatabaseSize, database_size


@dataclass(frozen=True)
class ChannelStatus:
    id: int
    username: str
    title: str | None
    status: str
    reason: str | None
    posts: int
    last_collected_at: datetime | None
    # When the running process's `collect` job really collects it (its first run at or after
    # `due_at`); None when paused, failed, or no process is collecting.
    next_collection_at: datetime | None
    due_at: datetime | None  # stored: the earliest a run may take it (None: at once)


@dataclass(frozen=True)
class RunStatus:
    id: int
    channel: str
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    fetched: int
    new: int
    updated: int
    pacing_seconds: dict[str, float]
    flood_waits: int
    flood_wait_seconds: float
    error: str | None


@dataclass(frozen=True)
class DigestStatus:
    id: int
    chat_id: int
    cadence: str
    weekday: int | None
    at_time: str
    timezone: str
    channels: tuple[str, ...]
    paused: bool
    last_slot_sent: datetime | None


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    database: str
    schema: str | None
    process: str  # "running" (a process holds the session lock), "stopped" or "unknown"
    process_pid: int | None
    channels: tuple[ChannelStatus, ...]
    last_collection: datetime | None
    next_collection: datetime | None  # the earliest real collection time (None: nothing will collect)
    next_run: datetime | None  # the running process's `collect` job's next run, if one collects
    collection_running: bool  # that job is collecting right now
    runs: tuple[RunStatus, ...]
    digests: tuple[DigestStatus, ...]
    account: AccountSummary  # the collector account's ledger: requests, FloodWaits, a block
    account_line: str  # the same in one line
    size: DatabaseSize | None = None  # on disk and in use


async def gather_status(
    engine: AsyncEngine, now: datetime, session: Path | None = None, runs: int = 10
) -> StatusReport:
    """Read everything `status` shows in one read transaction, and who holds `session`'s lock."""
    process, pid = process_of(session)
    schema = await current_revision(engine)
    async with read(engine) as conn:
        tracked = await ChannelRepo(conn).list_all()
        posts = await PostRepo(conn).count_by_channel()
        recent = await RunRepo(conn).recent(limit=runs)
        subs = await DigestRepo(conn).list()
        schedule = await ScheduleRepo(conn).get(JOB_ID)
        size = await database_size(conn)
    account = await AccountLedger(engine, RealClock()).summary(now=now)
    # Only the process that recorded the schedule runs it; a stopped one's times mean nothing.
    live = schedule if schedule and (process == "unknown" or pid == schedule.pid) else None
    next_run = running = None
    if live is not None and live.next_run_at is not None:
        next_run, running = upcoming_run(live.next_run_at, now, live.interval), live.running

    def collected_at(c: Channel) -> datetime | None:
        if c.status not in COLLECTABLE or live is None:
            return None
        return collection_time(c.next_collection_at, now, next_run, live.interval, bool(running))

    names = {c.id: f"@{c.username}" for c in tracked}
    channels = tuple(
        ChannelStatus(
            c.id, c.username, c.title, c.status, c.status_reason, posts.get(c.id, 0),
            c.last_collected_at, collected_at(c), c.next_collection_at,
        )
        for c in tracked
    )
    collected = [c.last_collected_at for c in tracked if c.last_collected_at]
    upcoming = [c.next_collection_at for c in channels if c.next_collection_at is not None]
    return StatusReport(
        generated_at=now,
        database=make_url(str(engine.url)).render_as_string(hide_password=True),
        schema=schema,
        process=process,
        process_pid=pid,
        channels=channels,
        last_collection=max(collected, default=None),
        next_collection=min(upcoming, default=None),
        next_run=next_run,
        collection_running=bool(running),
        runs=tuple(
            RunStatus(
                r.id, names.get(r.channel_id, f"#{r.channel_id}"), r.started_at, r.finished_at,
                (r.finished_at - r.started_at).total_seconds() if r.finished_at else None,
                r.fetched, r.new, r.updated, dict(r.pacing_seconds or {}), r.flood_waits,
                r.flood_wait_seconds, r.error,
            )
            for r in recent
        ),
        digests=tuple(
            DigestStatus(
                s.id, s.chat_id, s.cadence, s.weekday, s.at_time, s.timezone,
                tuple(names.get(i, f"#{i}") for i in s.channel_ids), s.paused, s.last_slot_sent,
            )
            for s in subs
        ),
        account=account,
        account_line=describe(account),
        size=size,
    )


def process_of(session: Path | None) -> tuple[str, int | None]:
    """("running", its pid) when a process holds `session`'s lock, ("stopped", None) when none
    does, ("unknown", None) when the OS cannot say."""
    if session is None:
        return "unknown", None
    try:
        pid = lock_holder(session)
    except (OSError, ValueError):
        return "unknown", None
    return ("running", pid) if pid is not None else ("stopped", None)


def status_json(report: StatusReport) -> dict[str, Any]:
    """The report as JSON-ready data: times as ISO 8601 UTC strings, every pacing layer present."""
    data = _plain(asdict(report))
    for run in data["runs"]:
        run["pacing_seconds"] = {layer: 0.0 for layer in LAYERS} | run["pacing_seconds"]
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
