"""Every collector account with its load, ledger line and state: what `/accounts` and
`python main.py accounts` show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.capacity import Load, load_of
from collector.ledger import AccountLedger, AccountSummary
from collector.pacing import PacingConfig
from storage.accounts import Account, AccountRepo
from storage.db import read
from storage.ledger import ACCOUNT

BANNED = "USER_DEACTIVATED_BAN"
DEACTIVATED = "USER_DEACTIVATED"


@dataclass(frozen=True)
class AccountState:
    account: Account
    load: Load  # its channels against what one account collects an hour
    ledger: AccountSummary


@dataclass(frozen=True)
class Roster:
    accounts: tuple[AccountState, ...]
    unassigned: int  # collectable channels no account has taken yet


def describe_state(state: AccountState, now: datetime) -> str:
    """"active", "blocked until 14:07 UTC", "stopped: banned" or "stopped: logged out" (the ledger
    line says why and what else)."""
    account = state.account
    if account.fatal_kind is not None:
        what = {BANNED: "banned", DEACTIVATED: "deactivated"}.get(account.fatal_kind, "logged out")
        since = f" since {account.fatal_at:%d %b %H:%M} UTC" if account.fatal_at else ""
        return f"stopped: {what}{since}"
    block = state.ledger.block
    if block is not None and block.scope == ACCOUNT and block.until > now:
        day = "" if block.until.date() == now.date() else f"{block.until:%d %b} "
        return f"blocked until {day}{block.until:%H:%M} UTC"
    return "active"


async def get_roster(engine: AsyncEngine, clock: Clock, config: PacingConfig,
                     interval_minutes: int) -> Roster:
    """Every account known, the first signed in first, as of `clock`'s now."""
    ledger, now = AccountLedger(engine, clock), clock.now()
    async with read(engine) as conn:
        repo = AccountRepo(conn)
        accounts = await repo.get_accounts()
        counts = await repo.collectable_counts()
    states = [
        AccountState(a, load_of(config, counts.get(a.account_id, 0), interval_minutes),
                     await ledger.summary(a.account_id, now))
        for a in accounts
    ]
    return Roster(tuple(states), counts.get(None, 0))
