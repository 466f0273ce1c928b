"""AccountRepo: the collector accounts and the channels each one collects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.channels import COLLECTABLE
from storage.models import Channel
from storage.tables import accounts, channels


@dataclass(frozen=True)
class Account:
    account_id: int  # the Telegram user id
    session_path: str | None  # the session file that signed it in; None for a session string
    added_at: datetime | None
    fatal_kind: str | None  # set when Telegram ended its session (banned, logged out, ...)
    fatal_reason: str | None
    fatal_at: datetime | None

    @property
    def live(self) -> bool:
        return self.fatal_kind is None


class AccountRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get_accounts(self) -> list[Account]:
        """Every account known, the first signed in first."""
        rows = await self.conn.execute(
            select(accounts.c.account_id, accounts.c.session_path, accounts.c.added_at,
                   accounts.c.fatal_kind, accounts.c.fatal_reason, accounts.c.fatal_at)
            .order_by(accounts.c.added_at.is_(None), accounts.c.added_at, accounts.c.account_id)
        )
        return [Account(**r._mapping) for r in rows]

    async def collectable_counts(self) -> dict[int | None, int]:
        """Queued and active channels per account (None: not assigned yet)."""
        rows = await self.conn.execute(
            select(channels.c.account_id, func.count()).where(channels.c.status.in_(COLLECTABLE))
            .group_by(channels.c.account_id)
        )
        return {account: int(n) for account, n in rows.all()}

    async def get_channels_of(self, account_id: int) -> list[Channel]:
        rows = await self.conn.execute(
            select(channels).where(channels.c.account_id == account_id).order_by(channels.c.id)
        )
        return [Channel.from_row(r) for r in rows]

    async def owner(self, channel_id: int) -> int | None:
        """The account that collects the channel; None when none has it yet."""
        owner = (await self.conn.execute(
            select(channels.c.account_id).where(channels.c.id == channel_id)
        )).scalar()
        return None if owner is None else int(owner)

    async def claim(self, channel_id: int, account_id: int) -> int | None:
        """Assign the channel to `account_id` unless another account has it; the account it has
        (None when the channel is gone)."""
        await self.conn.execute(
            update(channels).where(channels.c.id == channel_id, channels.c.account_id.is_(None))
            .values(account_id=account_id)
        )
        return await self.owner(channel_id)

    async def hand_over(self, channel_id: int, account_id: int) -> None:
        """The channel moves to `account_id`: the access hash another account resolved is of no use
        to it, so it is cleared and the new account resolves the channel once."""
        await self.conn.execute(
            update(channels).where(channels.c.id == channel_id)
            .values(account_id=account_id, access_hash=None, resolve_count=0)
        )
