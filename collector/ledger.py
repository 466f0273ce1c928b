"""The account ledger as the collector uses it: what its Telegram account sent and was told, kept in
the database so that a restart, or another process of the same account, obeys it too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.source import short_method
from storage.db import read, write
from storage.ledger import ACCOUNT, AccountRecord, Block, LedgerRepo

KEEP_REQUESTS = timedelta(days=2)  # the request log is for counting the last hour and today
MAX_FLOOD_STREAK = 5  # FloodWaits in a row (no answer between) that block the whole account
FLOOD = "flood_wait"  # a block's reason: one FloodWait
STREAK = "flood_streak"  # a block's reason: MAX_FLOOD_STREAK of them in a row


@dataclass(frozen=True)
class AccountSummary:
    account_id: int | None
    requests_last_hour: int = 0
    flood_waits_today: int = 0
    resolves_today: int = 0
    block: Block | None = None  # the block in force that ends last, account-wide ones first
    fatal_kind: str | None = None
    fatal_reason: str | None = None
    fatal_at: datetime | None = None


def describe_block(block: Block) -> str:
    """"blocked until 14:07 UTC by a 7200 s FloodWait on GetHistory", and the like."""
    day = "" if block.until.date() == block.created_at.date() else f"{block.until:%d %b} "
    method = short_method(block.method)
    if block.reason == STREAK:
        cause = f"after {MAX_FLOOD_STREAK} FloodWaits in a row (the last {block.seconds:.0f} s on {method})"
    else:
        cause = f"by a {block.seconds:.0f} s FloodWait on {method}"
    only = "" if block.scope == ACCOUNT else f" ({short_method(block.scope)} requests only)"
    return f"blocked until {day}{block.until:%H:%M} UTC {cause}{only}"


def describe(summary: AccountSummary) -> str:
    """The account in one line, for `status` and `/status`."""
    if summary.account_id is None:
        return "account: no request sent yet"
    if summary.fatal_kind is not None:
        return f"account: collection stopped: {summary.fatal_reason}"
    counts = (f"{summary.requests_last_hour} request{'s' * (summary.requests_last_hour != 1)} in the "
              f"last hour, {summary.flood_waits_today} FloodWait{'s' * (summary.flood_waits_today != 1)} "
              f"today, {summary.resolves_today} resolve{'s' * (summary.resolves_today != 1)} today")
    if summary.block is None:
        return f"account: {counts}, no block"
    return f"account: {describe_block(summary.block)}; {counts}"


class AccountLedger:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self.engine, self.clock = engine, clock

    async def account_for_session(self, session_key: int) -> int | None:
        async with read(self.engine) as conn:
            record = await LedgerRepo(conn).by_session(session_key)
        return record.account_id if record else None

    async def account_for_session_path(self, session_path: str) -> int | None:
        async with read(self.engine) as conn:
            record = await LedgerRepo(conn).by_session_path(session_path)
        return record.account_id if record else None

    async def latest_account(self, session_path: str | None = None) -> int | None:
        """The account that sent the last request (a new session is held to it until it signs in);
        with a session file, only an account signed in from that file or from one not known."""
        async with read(self.engine) as conn:
            record = await LedgerRepo(conn).latest_account(session_path)
        return record.account_id if record else None

    async def last_request_at(self, account_id: int) -> datetime | None:
        """When any process of the account last sent a request."""
        async with read(self.engine) as conn:
            record = await LedgerRepo(conn).account(account_id)
        return record.last_request_at if record else None

    async def active_blocks(self, account_id: int) -> list[Block]:
        async with read(self.engine) as conn:
            return await LedgerRepo(conn).active_blocks(account_id, self.clock.now())

    async def bind(self, account_id: int, session_key: int | None, session_path: str | None = None,
                   ) -> tuple[AccountRecord, list[Block]]:
        """Make the account known (with the session, and its file, now using it); its record and
        blocks in force."""
        async with write(self.engine) as conn:
            repo = LedgerRepo(conn)
            if session_key is not None or session_path is not None:
                await repo.bind(account_id, session_key, session_path, self.clock.now())
            else:
                await repo.bind_if_new(account_id)
            record = await repo.account(account_id)
            blocks = await repo.active_blocks(account_id, self.clock.now())
        assert record is not None
        return record, blocks

    async def request(self, account_id: int, method: str) -> None:
        now = self.clock.now()
        async with write(self.engine) as conn:
            await LedgerRepo(conn).request(account_id, method, now, now - KEEP_REQUESTS)

    async def block(self, account_id: int, block: Block) -> None:
        async with write(self.engine) as conn:
            await LedgerRepo(conn).add_block(account_id, block)

    async def resolves(self, account_id: int, channel_id: int) -> int:
        async with read(self.engine) as conn:
            return await LedgerRepo(conn).resolves(account_id, channel_id)

    async def resolved(self, account_id: int, channel_id: int, username: str, outcome: str) -> None:
        async with write(self.engine) as conn:
            await LedgerRepo(conn).resolved(account_id, channel_id, username, self.clock.now(), outcome)

    async def forget_resolves(self, channel_id: int) -> None:
        async with write(self.engine) as conn:
            await LedgerRepo(conn).forget_resolves(channel_id)

    async def fatal(self, account_id: int) -> AccountRecord | None:
        """The account's record when Telegram ended its session, else None."""
        async with read(self.engine) as conn:
            record = await LedgerRepo(conn).account(account_id)
        return record if record is not None and record.fatal_kind is not None else None

    async def set_fatal(self, account_id: int, kind: str, reason: str) -> bool:
        """Record the stop; True when it is news (so admins are told once)."""
        async with write(self.engine) as conn:
            repo = LedgerRepo(conn)
            record = await repo.account(account_id)
            if record is not None and record.fatal_kind == kind:
                return False
            await repo.set_fatal(account_id, kind, reason, self.clock.now())
        return True

    async def clear_fatal(self, account_id: int) -> None:
        async with write(self.engine) as conn:
            await LedgerRepo(conn).set_fatal(account_id, None, None, None)

    async def summary(self, account_id: int | None = None, now: datetime | None = None) -> AccountSummary:
        """The account's line for `status`; with no id, the account that sent the last request."""
        now = now or self.clock.now()
        async with read(self.engine) as conn:
            repo = LedgerRepo(conn)
            record = await (repo.account(account_id) if account_id is not None else repo.latest_account())
            if record is None:
                return AccountSummary(None)
            day = now.replace(hour=0, minute=0, second=0, microsecond=0)
            counts = await repo.counts(record.account_id, now - timedelta(hours=1), day)
            blocks = await repo.active_blocks(record.account_id, now)
        block = max(blocks, key=lambda b: (b.scope == ACCOUNT, b.until), default=None)
        return AccountSummary(record.account_id, counts.requests, counts.flood_waits, counts.resolves,
                              block, record.fatal_kind, record.fatal_reason, record.fatal_at)
