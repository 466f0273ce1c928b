"""ChannelRepo: the tracked channels, which are also the collector's durable queue."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, Select, bindparam, case, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.models import Channel, Run
from storage.tables import channels, digest_subscriptions, runs

COLLECTABLE = ("queued", "active")
# Marks a username Telegram has given to another tracked channel, until this one's next run learns
# its new name: "~" never occurs in a Telegram username, and the column must stay unique.
STALE = "~"


def public_username(stored: str) -> str:
    """The channel's public username as last known, without a stale mark."""
    return stored.split(STALE, 1)[0]


def collected_by(account_id: int | None) -> ColumnElement[bool]:
    """The channels an account collects: its own and those no account has yet (it takes them);
    with no account known, every channel."""
    if account_id is None:
        return true()
    return channels.c.account_id.is_(None) | (channels.c.account_id == account_id)


@cache
def _with_latest_run() -> Select:
    """The statement `get_with_latest_run` runs, built once: the API reads it on every summary, and
    building it (an alias, a label per column) cost more than running it."""
    newest = (select(runs.c.id).where(runs.c.channel_id == channels.c.id)
              .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)
              .correlate(channels).scalar_subquery())
    run = runs.alias("newest_run")
    return (select(channels, *(c.label(f"run_{c.name}") for c in run.c))
            .select_from(channels.outerjoin(run, run.c.id == newest))
            .where(channels.c.username == bindparam("username")))


class ChannelRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self, ref: str, username: str, added_by: int | None, now: datetime
    ) -> tuple[Channel, bool]:
        """Track `username` (queued); returns the channel and whether it was new."""
        username = username.lower()
        stmt = insert_for(self.conn, channels).values(
            ref=ref, username=username, added_by=added_by, added_at=now, status="queued",
            next_collection_at=now,
        ).on_conflict_do_nothing(index_elements=["username"])
        created = (await self.conn.execute(stmt)).rowcount == 1
        channel = await self.get_by_username(username)
        assert channel is not None
        return channel, created

    async def get(self, channel_id: int) -> Channel | None:
        row = (await self.conn.execute(select(channels).where(channels.c.id == channel_id))).first()
        return Channel.from_row(row) if row else None

    async def get_by_username(self, username: str) -> Channel | None:
        stmt = select(channels).where(channels.c.username == username.lower())
        row = (await self.conn.execute(stmt)).first()
        return Channel.from_row(row) if row else None

    async def get_with_latest_run(self, username: str) -> tuple[Channel, Run | None] | None:
        """The channel named `username` and its newest run (as `RunRepo.latest`), in one statement:
        one snapshot of both, and one round trip where there were two."""
        row = (await self.conn.execute(_with_latest_run(), {"username": username.lower()})).first()
        if row is None:
            return None
        m = row._mapping
        latest = Run(**{c.name: m[f"run_{c.name}"] for c in runs.c}) if m["run_id"] is not None else None
        return Channel.from_row(row), latest

    async def list_all(self) -> list[Channel]:
        rows = await self.conn.execute(select(channels).order_by(channels.c.id))
        return [Channel.from_row(r) for r in rows]

    async def next_due(self, now: datetime, exclude: tuple[int, ...] = (),
                       account_id: int | None = None) -> Channel | None:
        """The least recently collected channel that is due (of those `account_id` collects), or None."""
        stmt = (
            select(channels)
            .where(channels.c.status.in_(COLLECTABLE), collected_by(account_id))
            .where((channels.c.next_collection_at.is_(None)) | (channels.c.next_collection_at <= now))
            .where(channels.c.id.not_in(exclude))
            .order_by(
                case((channels.c.last_collected_at.is_(None), 0), else_=1),
                channels.c.last_collected_at,
                channels.c.id,
            )
            .limit(1)
        )
        row = (await self.conn.execute(stmt)).first()
        return Channel.from_row(row) if row else None

    async def list_due(self, now: datetime) -> list[Channel]:
        """Every channel due by `now`, least recently collected first (as next_due takes them)."""
        stmt = (
            select(channels)
            .where(channels.c.status.in_(COLLECTABLE))
            .where((channels.c.next_collection_at.is_(None)) | (channels.c.next_collection_at <= now))
            .order_by(
                case((channels.c.last_collected_at.is_(None), 0), else_=1),
                channels.c.last_collected_at,
                channels.c.id,
            )
        )
        return [Channel.from_row(r) for r in await self.conn.execute(stmt)]

    async def count_due(self, now: datetime, account_id: int | None = None) -> int:
        stmt = (
            select(func.count())
            .select_from(channels)
            .where(channels.c.status.in_(COLLECTABLE), collected_by(account_id))
            .where((channels.c.next_collection_at.is_(None)) | (channels.c.next_collection_at <= now))
        )
        return int((await self.conn.execute(stmt)).scalar_one())

    async def set_resolved(
        self, channel_id: int, tg_id: int, access_hash: int, title: str, resolved_by: int | None
    ) -> None:
        await self._update(
            channel_id, tg_id=tg_id, access_hash=access_hash, title=title, resolved_by=resolved_by,
            resolve_count=channels.c.resolve_count + 1,
        )

    async def set_status(
        self, channel_id: int, status: str, reason: str | None = None, kind: str | None = None
    ) -> None:
        """`kind`: what kind of failure a failed channel met (collector.source's kinds)."""
        await self._update(channel_id, status=status, status_reason=reason, status_kind=kind)

    async def update(self, channel_id: int, **values: object) -> None:
        """Set any of the channel's columns (progress ids, title, collection times)."""
        await self._update(channel_id, **values)

    async def rename(self, channel_id: int, username: str) -> None:
        """Store the channel's new username. Telegram gives a name to one channel at a time, so another
        row holding it is stale: an unresolved one (added by that name, nothing read yet) meant this
        very channel and is dropped; a resolved one keeps its data and is marked stale until its
        own next run learns its new name."""
        username = username.lower()
        holder = await self.get_by_username(username)
        if holder is not None and holder.id != channel_id:
            if holder.tg_id is None:
                # Digests that named the dropped row meant this channel: they follow it.
                await self._move_digest_refs(holder.id, channel_id)
                await self.remove(holder.id)
            else:
                await self._update(holder.id, username=f"{username}{STALE}{holder.id}")
        await self._update(channel_id, username=username)

    async def postpone_all(self, until: datetime, account_id: int | None = None) -> None:
        """Make no collectable channel of the account due before `until` (a long FloodWait survives
        a restart); another account's channels are not held by this one's block."""
        await self.conn.execute(
            update(channels).where(channels.c.status.in_(COLLECTABLE), collected_by(account_id))
            .where(channels.c.next_collection_at.is_(None) | (channels.c.next_collection_at < until))
            .values(next_collection_at=until)
        )

    async def remove(self, channel_id: int) -> None:
        """Forget the channel and, through the foreign keys, everything stored about it."""
        await self.conn.execute(channels.delete().where(channels.c.id == channel_id))
        # Digests name channels by id, and SQLite may give this id to a channel added later:
        # take it out of every digest, and drop a digest that covered this channel alone.
        subs = digest_subscriptions
        rows = await self.conn.execute(select(subs.c.id, subs.c.channel_ids, subs.c.excluded_ids))
        for sub_id, ids, excluded in rows.all():
            if channel_id not in ids and channel_id not in excluded:
                continue
            rest = [i for i in ids if i != channel_id]
            where = subs.c.id == sub_id
            await self.conn.execute(
                subs.delete().where(where) if ids and not rest
                else update(subs).where(where).values(
                    channel_ids=rest, excluded_ids=[i for i in excluded if i != channel_id]
                )
            )

    async def _move_digest_refs(self, old: int, new: int) -> None:
        subs = digest_subscriptions

        def moved(ids: list[int]) -> list[int]:
            return list(dict.fromkeys(new if i == old else i for i in ids))

        rows = await self.conn.execute(select(subs.c.id, subs.c.channel_ids, subs.c.excluded_ids))
        for sub_id, ids, excluded in rows.all():
            if old in ids or old in excluded:
                await self.conn.execute(update(subs).where(subs.c.id == sub_id).values(
                    channel_ids=moved(ids), excluded_ids=moved(excluded)))

    async def _update(self, channel_id: int, **values: object) -> None:
        await self.conn.execute(update(channels).where(channels.c.id == channel_id).values(**values))
