"""DeliveryRepo: a digest on its way, part by part, so a restart sends each part once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.tables import digest_deliveries


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
