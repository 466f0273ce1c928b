"""The account ledger's rows: requests sent, FloodWait blocks, resolves per channel, a fatal stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import insert_for
from storage.tables import account_blocks, account_requests, account_resolves, accounts

ACCOUNT = "account"  # a block's scope when it forbids every request, not one method


@dataclass(frozen=True)
class Block:
    scope: str  # ACCOUNT or a method's name
    method: str  # the request Telegram answered with the wait
    seconds: float
    reason: str  # "flood_wait" or "flood_streak"
    created_at: datetime
    until: datetime

    def forbids(self, method: str) -> bool:
        return self.scope in (ACCOUNT, method)


@dataclass(frozen=True)
class AccountRecord:
    account_id: int
    session_key: int | None
    session_path: str | None  # the session file that signed it in; None for a session string
    added_at: datetime | None
    last_request_at: datetime | None
    fatal_kind: str | None
    fatal_reason: str | None
    fatal_at: datetime | None


@dataclass(frozen=True)
class LedgerCounts:
    requests: int  # since the hour's start
    flood_waits: int  # since the day's start
    resolves: int  # since the day's start


class LedgerRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def account(self, account_id: int) -> AccountRecord | None:
        row = (await self.conn.execute(select(accounts).where(accounts.c.account_id == account_id))).first()
        return AccountRecord(**row._mapping) if row else None

    async def by_session(self, session_key: int) -> AccountRecord | None:
        row = (await self.conn.execute(
            select(accounts).where(accounts.c.session_key == session_key)
        )).first()
        return AccountRecord(**row._mapping) if row else None

    async def by_session_path(self, session_path: str) -> AccountRecord | None:
        row = (await self.conn.execute(
            select(accounts).where(accounts.c.session_path == session_path)
        )).first()
        return AccountRecord(**row._mapping) if row else None

    async def latest_account(self, session_path: str | None = None) -> AccountRecord | None:
        """The account that sent the last request (or, when none has, the one bound last); with a
        session file, among the accounts whose session file is that one or not known."""
        where = (accounts.c.session_path.is_(None) | (accounts.c.session_path == session_path)
                 if session_path is not None else accounts.c.account_id.is_not(None))
        row = (await self.conn.execute(
            select(accounts).where(where)
            .order_by(accounts.c.last_request_at.is_(None), accounts.c.last_request_at.desc(),
                      accounts.c.account_id.desc()).limit(1)
        )).first()
        return AccountRecord(**row._mapping) if row else None

    async def bind(self, account_id: int, session_key: int | None, session_path: str | None = None,
                   now: datetime | None = None) -> None:
        """The session with `session_key` (in the file `session_path`, when known) belongs to
        `account_id` now (and to no other account)."""
        await self.conn.execute(update(accounts).where(accounts.c.session_key == session_key,
                                                       accounts.c.account_id != account_id)
                                .values(session_key=None))
        values: dict[str, object] = {"session_key": session_key}
        if session_path is not None:
            await self.conn.execute(update(accounts).where(accounts.c.session_path == session_path,
                                                           accounts.c.account_id != account_id)
                                    .values(session_path=None))
            values["session_path"] = session_path
        stmt = insert_for(self.conn, accounts).values(account_id=account_id, added_at=now, **values)
        if now is not None:
            values["added_at"] = func.coalesce(accounts.c.added_at, literal(now, accounts.c.added_at.type))
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["account_id"], set_=values))

    async def request(self, account_id: int, method: str, at: datetime, keep_since: datetime) -> None:
        """One wire request; rows older than `keep_since` go, so the log stays a few days long."""
        await self.conn.execute(account_requests.insert().values(account_id=account_id, at=at, method=method))
        await self.conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                                .values(last_request_at=at))
        await self.conn.execute(delete(account_requests).where(account_requests.c.account_id == account_id,
                                                               account_requests.c.at < keep_since))

    async def add_block(self, account_id: int, block: Block) -> None:
        await self.conn.execute(account_blocks.insert().values(
            account_id=account_id, scope=block.scope, method=block.method, seconds=block.seconds,
            reason=block.reason, created_at=block.created_at, until=block.until,
        ))

    async def active_blocks(self, account_id: int, now: datetime) -> list[Block]:
        rows = (await self.conn.execute(
            select(account_blocks).where(account_blocks.c.account_id == account_id,
                                         account_blocks.c.until > now)
            .order_by(account_blocks.c.until.desc())
        )).all()
        return [_block(r) for r in rows]

    async def counts(self, account_id: int, hour_ago: datetime, day_start: datetime) -> LedgerCounts:
        def since(table: object, column: object, start: datetime, *where: object) -> object:
            return (select(func.count()).select_from(table)  # type: ignore[arg-type]
                    .where(column >= start, *where).scalar_subquery())

        mine_r = account_requests.c.account_id == account_id
        row = (await self.conn.execute(select(
            since(account_requests, account_requests.c.at, hour_ago, mine_r),
            since(account_blocks, account_blocks.c.created_at, day_start,
                  account_blocks.c.account_id == account_id),
            since(account_requests, account_requests.c.at, day_start, mine_r,
                  account_requests.c.method == "contacts.ResolveUsername"),
        ))).one()
        return LedgerCounts(*row)

    async def resolves(self, account_id: int, channel_id: int) -> int:
        count = (await self.conn.execute(
            select(account_resolves.c.count).where(account_resolves.c.account_id == account_id,
                                                   account_resolves.c.channel_id == channel_id)
        )).scalar()
        return int(count or 0)

    async def resolved(self, account_id: int, channel_id: int, username: str, at: datetime,
                       outcome: str) -> None:
        stmt = insert_for(self.conn, account_resolves).values(
            account_id=account_id, channel_id=channel_id, username=username, count=1, last_at=at,
            last_outcome=outcome,
        )
        await self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["account_id", "channel_id"],
            set_={"count": account_resolves.c.count + 1, "username": username, "last_at": at,
                  "last_outcome": outcome},
        ))

    async def forget_resolves(self, channel_id: int) -> None:
        """An admin re-queued the channel: it may be resolved anew."""
        await self.conn.execute(delete(account_resolves).where(account_resolves.c.channel_id == channel_id))

    async def set_fatal(self, account_id: int, kind: str | None, reason: str | None,
                        at: datetime | None) -> None:
        await self.bind_if_new(account_id)
        await self.conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                                .values(fatal_kind=kind, fatal_reason=reason, fatal_at=at))

    async def bind_if_new(self, account_id: int) -> None:
        stmt = insert_for(self.conn, accounts).values(account_id=account_id)
        await self.conn.execute(stmt.on_conflict_do_nothing(index_elements=["account_id"]))


def _block(row: object) -> Block:
    m = row._mapping  # type: ignore[attr-defined]
    return Block(m["scope"], m["method"], m["seconds"], m["reason"], m["created_at"], m["until"])
