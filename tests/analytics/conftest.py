"""The fixture channel @pulse, written through the storage repos; expectations are in the tests.

now = 2026-03-02 12:00 UTC. The 7d window is [02-23 12:00, 03-02 12:00); the previous one
[02-16 12:00, 02-23 12:00). Views per post in the 7d window (albums folded, deleted and service
messages left out): 60, 100, 200 (album of 150/200/180), 1000 (viral), unknown, 120, 80.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.channels import ChannelRepo
from storage.db import write
from storage.models import CounterSnapshot, Post, RunResult
from storage.posts import PostRepo
from storage.runs import RunRepo
from storage.subscribers import SubscriberRepo

H = timedelta(hours=1)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class P:
    mid: int
    date: str
    views: int | None
    forwards: int | None = None
    replies: int | None = None
    reactions: int | None = None
    paid: int | None = None
    grouped: int | None = None
    kind: str | None = None
    deleted: bool = False
    text: str = ""


PULSE_POSTS = (
    P(7, "2026-02-20 08:00", 60, forwards=1, reactions=1),  # previous window
    P(8, "2026-02-23 11:59", 40, forwards=0, replies=0, reactions=2),  # previous window, at its end
    P(9, "2026-02-23 12:00", 60, forwards=1, replies=0, reactions=2),  # exactly at the 7d start
    P(10, "2026-02-24 09:00", 100, forwards=2, replies=1, reactions=5, paid=1,
      text="one two three four five six seven eight nine ten"),
    P(11, "2026-02-25 09:00", 150, forwards=1, reactions=0, grouped=777, text="album caption"),
    P(12, "2026-02-25 09:00", 200, reactions=10, grouped=777),
    P(13, "2026-02-25 09:00", 180, forwards=3, grouped=777),
    P(14, "2026-02-26 09:00", 1000, forwards=20, replies=10, reactions=70, paid=0, text="viral!"),
    P(15, "2026-02-27 09:00", None),  # views unknown
    P(16, "2026-02-28 15:00", 120, forwards=0, replies=0, reactions=6, paid=2),
    P(17, "2026-03-01 09:00", 5000, forwards=9, reactions=9, deleted=True),
    P(18, "2026-03-01 10:00", None, kind="service"),
    P(19, "2026-03-02 11:00", 80, forwards=0, replies=0, reactions=4),
)
# (message_id, hours after publication, views)
PULSE_SNAPSHOTS = (
    (10, 19, 70), (10, 22, 90), (10, 30, 95),
    (11, 25, 140), (12, 25, 190), (13, 25, None),
    (14, 47, 900), (14, 49, 950),
    (16, 50, 110),
    (17, 24, 4000),
    (19, 1, 80),
)
PULSE_SUBSCRIBERS = (
    ("2026-02-16 00:00", 950), ("2026-02-23 10:00", 1000), ("2026-02-28 00:00", None),
    ("2026-03-02 11:00", 1100), ("2026-03-02 11:30", None),
)
COLLECTED = t("2026-03-02 11:30")


async def add_channel(
    engine: AsyncEngine, username: str, collected: datetime | None, complete: bool = True
) -> int:
    """A tracked channel; once collected, by default with its whole history read (`complete`)."""
    async with write(engine) as conn:
        repo = ChannelRepo(conn)
        channel, _ = await repo.add(f"@{username}", username, None, t("2026-01-01 00:00"))
        if collected is not None:
            await repo.update(
                channel.id, status="active", last_collected_at=collected, title=username.title(),
                backfill_done=complete, history_complete=complete,
            )
        return channel.id


async def add_run(engine: AsyncEngine, channel_id: int, at: datetime, error: str | None = None) -> int:
    async with write(engine) as conn:
        runs = RunRepo(conn)
        run_id = await runs.start(channel_id, at)
        await runs.finish(run_id, RunResult(error=error), at)
        return run_id


async def add_posts(engine: AsyncEngine, channel_id: int, items: tuple[P, ...]) -> None:
    async with write(engine) as conn:
        repo = PostRepo(conn)
        for p in items:
            date = t(p.date)
            await repo.upsert(Post(
                channel_id, p.mid, date, text=p.text, media_kind=p.kind, grouped_id=p.grouped,
                views=p.views, forwards=p.forwards, replies=p.replies, reactions=p.reactions,
                paid_reactions=p.paid,
            ), date)
            if p.deleted:
                await repo.mark_deleted(channel_id, p.mid, date + 48 * H)


async def add_snapshot(
    engine: AsyncEngine, channel_id: int, message_id: int, taken_at: datetime, views: int | None
) -> None:
    run_id = await add_run(engine, channel_id, taken_at)
    async with write(engine) as conn:
        await PostRepo(conn).add_snapshot(CounterSnapshot(channel_id, message_id, run_id, taken_at, views))


async def add_subscribers(engine: AsyncEngine, channel_id: int, at: datetime, count: int | None) -> None:
    run_id = await add_run(engine, channel_id, at)
    async with write(engine) as conn:
        await SubscriberRepo(conn).add(channel_id, run_id, at, count)


@pytest.fixture
async def pulse(engine: AsyncEngine) -> int:
    return await seed_pulse(engine)


async def seed_pulse(engine: AsyncEngine) -> int:
    """@pulse with its posts, snapshots and subscriber counts; its channel id."""
    cid = await add_channel(engine, "pulse", COLLECTED)
    await add_posts(engine, cid, PULSE_POSTS)
    dates = {p.mid: t(p.date) for p in PULSE_POSTS}
    for mid, hours, views in PULSE_SNAPSHOTS:
        await add_snapshot(engine, cid, mid, dates[mid] + hours * H, views)
    for at, count in PULSE_SUBSCRIBERS:
        await add_subscribers(engine, cid, t(at), count)
    return cid
