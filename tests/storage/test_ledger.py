"""The account ledger's rows: the request log stays days long, blocks are found by account and time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import read, write
from storage.ledger import ACCOUNT, Block, LedgerRepo
from storage.tables import account_requests


async def test_the_request_log_keeps_only_its_window(engine: AsyncEngine, now: datetime) -> None:
    async with write(engine) as conn:
        repo = LedgerRepo(conn)
        await repo.bind(1, session_key=-5)
        for hours in range(0, 24 * 4, 6):  # four days of requests, one every 6 h
            at = now + timedelta(hours=hours)
            await repo.request(1, "messages.GetHistory", at, at - timedelta(days=2))
    async with read(engine) as conn:
        kept = (await conn.execute(select(func.count()).select_from(account_requests))).scalar()
        record = await LedgerRepo(conn).by_session(-5)
    assert kept == 9  # the last two days (and the edge), not four
    assert record is not None and record.last_request_at == now + timedelta(hours=90)


async def test_active_blocks_are_the_ones_not_yet_over(engine: AsyncEngine, now: datetime) -> None:
    def block(scope: str, hours: float) -> Block:
        return Block(scope, "messages.GetHistory", 60.0, "flood_wait", now, now + timedelta(hours=hours))

    async with write(engine) as conn:
        repo = LedgerRepo(conn)
        await repo.bind_if_new(1)
        for b in (block(ACCOUNT, 2), block("messages.GetHistory", 0.5), block(ACCOUNT, -1)):
            await repo.add_block(1, b)
        await repo.add_block(2, block(ACCOUNT, 3))  # another account's
    async with read(engine) as conn:
        active = await LedgerRepo(conn).active_blocks(1, now + timedelta(hours=1))
    assert [(b.scope, b.until) for b in active] == [(ACCOUNT, now + timedelta(hours=2))]
    assert active[0].forbids("contacts.ResolveUsername")
