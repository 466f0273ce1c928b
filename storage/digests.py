"""DigestRepo (scheduled digest subscriptions), DeliveryRepo (a digest on its way, part by part) and
AlertRepo (each alert event recorded once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.models import Alert, DigestSubscription
from storage.tables import alerts, channels, digest_deliveries, digest_subscriptions, runs

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


@dataclass(frozen=True)
class DigestDelivery:
    """One slot's digest being sent: its messages, and how many steps (parts, then the chart) are done."""

    subscription_id: int
    slot: datetime
    parts: tuple[str, ...]
    parts_sent: int
    chart: bytes | None
    created_at: datetime
    covered_until: datetime  # the end of the period this digest covers

    @property
    def steps(self) -> int:
        """The text parts, then the chart if there is one."""
        return len(self.parts) + (self.chart is not None)


_deliveries = digest_deliveries


class DeliveryRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, sub_id: int) -> DigestDelivery | None:
        row = (await self.conn.execute(
            select(_deliveries).where(_deliveries.c.subscription_id == sub_id)
        )).first()
        if row is None:
            return None
        return DigestDelivery(
            row.subscription_id, row.slot, tuple(row.parts), row.parts_sent, row.chart, row.created_at,
            # Recorded before periods were stored: such a digest covered up to when it was built.
            row.covered_until or row.created_at,
        )

    async def start(
        self, sub_id: int, slot: datetime, parts: Sequence[str], chart: bytes | None, now: datetime,
        covered_until: datetime,
    ) -> DigestDelivery:
        """Record a digest about to be sent (covering posts up to `covered_until`), replacing
        whatever an older slot left unfinished."""
        values = {
            "slot": slot, "parts": list(parts), "parts_sent": 0, "chart": chart, "created_at": now,
            "covered_until": covered_until,
        }
        stmt = insert_for(self.conn, _deliveries).values(subscription_id=sub_id, **values)
        await self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["subscription_id"], set_=values)
        )
        return DigestDelivery(sub_id, slot, tuple(parts), 0, chart, now, covered_until)

    async def set_sent(self, sub_id: int, steps: int) -> None:
        await self.conn.execute(
            update(_deliveries).where(_deliveries.c.subscription_id == sub_id).values(parts_sent=steps)
        )

    async def finish(self, sub_id: int) -> None:
        await self.conn.execute(_deliveries.delete().where(_deliveries.c.subscription_id == sub_id))


class AlertRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def record(
        self, key: str, kind: str, text: str, now: datetime, channel_id: int | None = None
    ) -> bool:
        """Remember an alert event; False when this event was recorded before (never fire twice)."""
        stmt = insert_for(self.conn, alerts).values(
            key=key, kind=kind, text=text, created_at=now, channel_id=channel_id
        ).on_conflict_do_nothing(index_elements=["key"])
        return (await self.conn.execute(stmt)).rowcount == 1

    async def undelivered(self) -> list[Alert]:
        stmt = select(alerts).where(alerts.c.delivered_at.is_(None)).order_by(alerts.c.created_at)
        return [Alert.from_row(r) for r in await self.conn.execute(stmt)]

    async def mark_delivered(self, key: str, now: datetime) -> None:
        await self.conn.execute(update(alerts).where(alerts.c.key == key).values(delivered_at=now))
