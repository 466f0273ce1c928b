"""Subscriber counts: SubscriberRepo records the one each run sees; the functions read them as
analytics does: at an instant, at several, per channel, as a series.

Unknown counts (a run that could not see the count stored NULL) are skipped everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, String, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from storage.db import insert_for
from storage.models import SubscriberSnapshot
from storage.queries import as_utc
from storage.tables import channels, subscriber_snapshots


@dataclass(frozen=True)
class SubscriberPoint:
    taken_at: datetime
    subscribers: int


def _known(channel_id: int, since: datetime | None, until: datetime, *extra: ColumnElement) -> Select:
    """Known counts of the channel taken in [since, until] (`extra` columns first), unordered."""
    ss = subscriber_snapshots
    stmt = select(*extra, ss.c.taken_at, ss.c.subscribers).where(
        ss.c.channel_id == channel_id, ss.c.taken_at <= until, ss.c.subscribers.is_not(None)
    )
    return stmt if since is None else stmt.where(ss.c.taken_at >= since)


async def _one(conn: AsyncConnection, stmt: Select) -> SubscriberPoint | None:
    row = (await conn.execute(stmt.limit(1))).first()
    return SubscriberPoint(row[0], row[1]) if row else None


async def subscribers_at(
    conn: AsyncConnection, channel_id: int, at: datetime
) -> SubscriberPoint | None:
    """The latest known subscriber count at or before `at` (unknown counts are skipped)."""
    return await _one(conn, _known(channel_id, None, at).order_by(subscriber_snapshots.c.taken_at.desc()))


@dataclass(frozen=True)
class SubscriberBases:
    """Counts looked up together: the latest at or before each instant, the earliest inside each
    span (None where none is known)."""

    at: dict[datetime, SubscriberPoint | None]
    first_in: dict[tuple[datetime | None, datetime], SubscriberPoint | None]


async def subscribers_at_each(
    conn: AsyncConnection, channel_id: int, instants: Sequence[datetime],
    spans: Sequence[tuple[datetime | None, datetime]] = (),
) -> SubscriberBases:
    """`subscribers_at` for several instants and `first_subscribers` for several spans, in one
    round trip."""
    newest, oldest = subscriber_snapshots.c.taken_at.desc(), subscriber_snapshots.c.taken_at
    parts = [
        _known(channel_id, None, at, literal(i).label("i")).order_by(newest).limit(1).subquery()
        for i, at in enumerate(instants)
    ] + [
        _known(channel_id, since, until, literal(len(instants) + j)).order_by(oldest).limit(1).subquery()
        for j, (since, until) in enumerate(spans)
    ]
    found: dict[int, SubscriberPoint] = {}
    if parts:
        for i, taken_at, count in await conn.execute(union_all(*(select(p) for p in parts))):
            found[i] = SubscriberPoint(as_utc(taken_at), count)
    return SubscriberBases(
        at={at: found.get(i) for i, at in enumerate(instants)},
        first_in={span: found.get(len(instants) + j) for j, span in enumerate(spans)},
    )


async def subscribers_by_channel(
    conn: AsyncConnection, start: datetime | None, end: datetime
) -> dict[int, tuple[int | None, SubscriberPoint | None]]:
    """Per channel, in one statement: (known count at `end`, the count the change runs from)."""
    ss, ch = subscriber_snapshots, channels
    known = [ss.c.channel_id == ch.c.id, ss.c.subscribers.is_not(None)]

    def first(*cond: ColumnElement, newest: bool) -> ColumnElement:
        # The count and when it was taken, as one "taken_at|count" text, to stay one subquery.
        order = ss.c.taken_at.desc() if newest else ss.c.taken_at
        point = cast(ss.c.taken_at, String) + "|" + cast(ss.c.subscribers, String)
        return select(point).where(*known, *cond).order_by(order).limit(1).scalar_subquery()

    at_end = first(ss.c.taken_at <= end, newest=True)
    # The base must be an earlier snapshot than the end's, or the "change" would compare a count
    # with itself and show a made-up 0.
    later = subscriber_snapshots.alias("later")
    end_at = select(func.max(later.c.taken_at)).where(
        later.c.channel_id == ch.c.id, later.c.subscribers.is_not(None), later.c.taken_at <= end
    ).correlate(ch).scalar_subquery()
    before = first(ss.c.taken_at <= start, ss.c.taken_at < end_at, newest=True) if start else None
    inside = first(
        ss.c.taken_at < end_at, *([ss.c.taken_at >= start] if start else []), newest=False
    )
    base = inside if before is None else func.coalesce(before, inside)
    rows = await conn.execute(select(ch.c.id, at_end, base))
    return {r[0]: (_point(r[1]).subscribers if r[1] else None, _point(r[2]) if r[2] else None)
            for r in rows}


def _point(packed: str) -> SubscriberPoint:
    taken_at, count = packed.rsplit("|", 1)
    return SubscriberPoint(as_utc(taken_at), int(count))


async def first_subscribers(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime
) -> SubscriberPoint | None:
    """The earliest known subscriber count in [since, until]."""
    return await _one(conn, _known(channel_id, since, until).order_by(subscriber_snapshots.c.taken_at))


async def subscriber_series(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime
) -> list[SubscriberPoint]:
    """Known subscriber counts in [since, until], oldest first."""
    stmt = _known(channel_id, since, until).order_by(subscriber_snapshots.c.taken_at)
    return [SubscriberPoint(r[0], r[1]) for r in await conn.execute(stmt)]


class SubscriberRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self, channel_id: int, run_id: int, taken_at: datetime, subscribers: int | None
    ) -> None:
        """Record the count seen in a run (None when Telegram hides it; never 0 for unknown)."""
        stmt = insert_for(self.conn, subscriber_snapshots).values(
            channel_id=channel_id, run_id=run_id, taken_at=taken_at, subscribers=subscribers
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel_id", "run_id"],
            set_={"taken_at": taken_at, "subscribers": subscribers},
        )
        await self.conn.execute(stmt)

    async def history(
        self, channel_id: int, since: datetime | None = None
    ) -> list[SubscriberSnapshot]:
        """Subscriber snapshots, oldest first."""
        stmt = select(subscriber_snapshots).where(subscriber_snapshots.c.channel_id == channel_id)
        if since is not None:
            stmt = stmt.where(subscriber_snapshots.c.taken_at >= since)
        stmt = stmt.order_by(subscriber_snapshots.c.taken_at)
        return [SubscriberSnapshot.from_row(r) for r in await self.conn.execute(stmt)]
