"""DigestRepo: scheduled digest subscriptions, and the read marks their periods start from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DigestSubscription
from storage.tables import channels, digest_subscriptions, runs

_subs = digest_subscriptions


async def read_marks(conn: AsyncConnection) -> Mapping[int, datetime]:
    """Per channel, the start of the run behind its last collection: every post published before
    it has been read. (The run asks for history near its start, then paces for a minute or more
    before `last_collected_at` is set, so a post published meanwhile is read by the next run.)"""
    # Per channel, newest first through ix_runs_channel_started: a few rows read, not every run.
    mark = (
        select(runs.c.started_at)
        .where(
            runs.c.channel_id == channels.c.id,
            runs.c.started_at <= channels.c.last_collected_at,
            runs.c.error.is_(None),
        )
        .order_by(runs.c.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = select(channels.c.id, mark).where(channels.c.last_collected_at.is_not(None))
    return {cid: at for cid, at in await conn.execute(stmt) if at is not None}


class DigestRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def subscribe(
        self, chat_id: int, cadence: str, at_time: str, timezone: str,
        channel_ids: Sequence[int], now: datetime, weekday: int | None = None,
    ) -> DigestSubscription:
        """Create or refresh the chat's subscription for this slot (un-pausing it)."""
        # Looked up, not ON CONFLICT: a daily slot's weekday is NULL, and NULLs never conflict.
        key = (
            (_subs.c.chat_id == chat_id) & (_subs.c.cadence == cadence) & (_subs.c.at_time == at_time)
            & (_subs.c.timezone == timezone)
            & (_subs.c.weekday.is_(None) if weekday is None else _subs.c.weekday == weekday)
        )
        found = (await self.conn.execute(select(_subs.c.id).where(key))).scalar()
        if found is None:
            await self.conn.execute(_subs.insert().values(
                chat_id=chat_id, cadence=cadence, weekday=weekday, at_time=at_time, timezone=timezone,
                channel_ids=list(channel_ids), created_at=now,
            ))
        else:
            await self.conn.execute(
                update(_subs).where(_subs.c.id == found)
                .values(channel_ids=list(channel_ids), excluded_ids=[], paused=False)
            )
        row = (await self.conn.execute(select(_subs).where(key))).one()
        return DigestSubscription.from_row(row)

    async def get(self, sub_id: int) -> DigestSubscription | None:
        row = (await self.conn.execute(select(_subs).where(_subs.c.id == sub_id))).first()
        return DigestSubscription.from_row(row) if row else None

    async def list(
        self, chat_id: int | None = None, include_paused: bool = True
    ) -> list[DigestSubscription]:
        stmt = select(_subs).order_by(_subs.c.id)
        if chat_id is not None:
            stmt = stmt.where(_subs.c.chat_id == chat_id)
        if not include_paused:
            stmt = stmt.where(_subs.c.paused.is_(False))
        return [DigestSubscription.from_row(r) for r in await self.conn.execute(stmt)]

    async def set_last_slot(
        self, sub_id: int, slot: datetime, covered_until: datetime | None = None
    ) -> None:
        """Mark `slot` handled; a sent digest also moves where the next one starts (a skipped slot
        does not, so its posts go into the next digest sent)."""
        values: dict[str, datetime] = {"last_slot_sent": slot}
        if covered_until is not None:
            values["covered_until"] = covered_until
        await self.conn.execute(update(_subs).where(_subs.c.id == sub_id).values(**values))

    async def set_paused(self, chat_id: int, paused: bool) -> int:
        """Pause or resume every subscription of a chat; returns how many changed."""
        result = await self.conn.execute(
            update(_subs).where(_subs.c.chat_id == chat_id).where(_subs.c.paused.is_(not paused))
            .values(paused=paused)
        )
        return result.rowcount

    async def delete_for_chat(self, chat_id: int) -> int:
        result = await self.conn.execute(_subs.delete().where(_subs.c.chat_id == chat_id))
        return result.rowcount

    async def delete(self, sub_id: int) -> None:
        await self.conn.execute(_subs.delete().where(_subs.c.id == sub_id))

    async def set_channels(self, sub_id: int, channel_ids: Sequence[int]) -> None:
        """Change which channels a subscription covers (empty: every tracked channel)."""
        await self.conn.execute(
            update(_subs).where(_subs.c.id == sub_id).values(channel_ids=list(channel_ids))
        )

    async def set_excluded(self, sub_id: int, channel_ids: Sequence[int]) -> None:
        """The channels an "every tracked channel" subscription leaves out."""
        await self.conn.execute(
            update(_subs).where(_subs.c.id == sub_id).values(excluded_ids=sorted(channel_ids))
        )
