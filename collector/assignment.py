"""Which account collects which channel: a channel taken for the first time goes to the live account
with the most spare capacity (collector/capacity.py's figures), and an account Telegram stopped
(banned, logged out) hands its channels to the others, spare capacity first.

A channel belongs to one account because access hashes are per account: a moved channel's hash is
cleared, and its new account resolves it once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from collector.capacity import load_of
from collector.pacing import PacingConfig
from storage.accounts import Account, AccountRepo
from storage.channels import COLLECTABLE
from storage.db import write


@dataclass(frozen=True)
class Move:
    username: str
    account: Account  # where the channel went


@dataclass(frozen=True)
class Handover:
    """What a stopped account's channels became: moved to other accounts, or left with it (no
    other account was live)."""

    account_id: int
    moved: tuple[Move, ...] = ()
    stranded: tuple[str, ...] = ()  # usernames nobody collects until an account signs in


def account_label(account: Account) -> str:
    """"account 42 (data/acc2.session)"."""
    return f"account {account.account_id} ({account.session_path or 'session string'})"


def handover_lines(handover: Handover) -> list[str]:
    """What became of a stopped account's channels, in plain lines (empty when it had none)."""
    if handover.moved:
        return ["Its channels went to the other accounts (each resolves them once):",
                *(f"@{m.username} → {account_label(m.account)}" for m in handover.moved)]
    if handover.stranded:
        return ["No other account is live, so its channels are not collected until one signs in "
                "(`python main.py login`, or `login --session FILE` for another account): "
                + ", ".join(f"@{u}" for u in handover.stranded)]
    return []


def spare_runs(config: PacingConfig, channels: int, interval_minutes: int) -> float:
    """Channel runs an hour the account could still take on."""
    load = load_of(config, channels, interval_minutes)
    return load.capacity - load.demand


def most_spare(counts: Mapping[int, int], config: PacingConfig, interval_minutes: int) -> int | None:
    """The account (by id, in `counts`' order on a tie) with the most spare capacity; None if none."""
    return max(counts, key=lambda a: spare_runs(config, counts[a], interval_minutes), default=None)


class Assigner:
    def __init__(self, engine: AsyncEngine, config: PacingConfig, interval_minutes: int) -> None:
        self.engine, self.config, self.interval = engine, config, interval_minutes

    async def channel_account(self, channel_id: int) -> int | None:
        """The account that collects the channel: its own, or, when it has none yet, the live account
        with the most spare capacity, which it then keeps. None while no account is live."""
        async with write(self.engine) as conn:
            repo = AccountRepo(conn)
            owner = await repo.owner(channel_id)
            if owner is not None:
                return owner
            counts = await self._live_counts(repo, exclude=None)
            chosen = most_spare(counts, self.config, self.interval)
            return None if chosen is None else await repo.claim(channel_id, chosen)

    async def hand_over(self, account_id: int) -> Handover:
        """The account may collect no more: each of its channels goes to the live account with the
        most spare capacity at that moment, to be resolved once by it."""
        async with write(self.engine) as conn:
            repo = AccountRepo(conn)
            channels = await repo.get_channels_of(account_id)
            counts = await self._live_counts(repo, exclude=account_id)
            if not counts:
                return Handover(account_id, stranded=tuple(c.username for c in channels))
            by_id = {a.account_id: a for a in await repo.get_accounts()}
            moved = []
            # Channels being collected first, so the capacity they take is counted for the rest.
            for channel in sorted(channels, key=lambda c: (c.status not in COLLECTABLE, c.id)):
                chosen = most_spare(counts, self.config, self.interval)
                assert chosen is not None
                await repo.hand_over(channel.id, chosen)
                if channel.status in COLLECTABLE:
                    counts[chosen] += 1
                moved.append(Move(channel.username, by_id[chosen]))
        return Handover(account_id, tuple(moved))

    async def rehome_stranded(self) -> list[Handover]:
        """Channels left with stopped accounts (none was live when they stopped) go to the live
        accounts now, as a handover would have sent them; called once an account signs in."""
        async with write(self.engine) as conn:
            repo = AccountRepo(conn)
            if not await self._live_counts(repo, exclude=None):
                return []
            stranded = [a.account_id for a in await repo.get_accounts()
                        if not a.live and await repo.get_channels_of(a.account_id)]
        return [await self.hand_over(account) for account in stranded]

    async def _live_counts(self, repo: AccountRepo, exclude: int | None) -> dict[int, int]:
        counts = await repo.collectable_counts()
        return {a.account_id: counts.get(a.account_id, 0) for a in await repo.get_accounts()
                if a.live and a.account_id != exclude}
