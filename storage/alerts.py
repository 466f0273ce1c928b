"""AlertRepo: each alert event recorded once, and whether the admins were told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.models import Alert
from storage.tables import alerts


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

    async def recent(self, limit: int, channel_id: int | None = None) -> list[Alert]:
        """The newest `limit` alerts (of one channel, if given), newest first."""
        stmt = select(alerts)
        if channel_id is not None:
            stmt = stmt.where(alerts.c.channel_id == channel_id)
        stmt = stmt.order_by(alerts.c.created_at.desc(), alerts.c.key).limit(limit)
        return [Alert.from_row(r) for r in await self.conn.execute(stmt)]

    async def mark_delivered(self, key: str, now: datetime) -> None:
        await self.conn.execute(update(alerts).where(alerts.c.key == key).values(delivered_at=now))
