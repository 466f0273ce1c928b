"""Which account collects a channel: the live one with the most spare capacity, once and for good;
and a FloodWait block postpones its own account's channels only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.assignment import Assigner, most_spare, spare_runs
from collector.capacity import run_seconds
from collector.ledger import AccountLedger
from collector.pacing import PacingConfig
from storage.accounts import AccountRepo
from storage.channels import ChannelRepo
from storage.db import read, write

A, B, C = 111, 222, 333


async def setup(engine: AsyncEngine, now: datetime, owned: dict[int, int]) -> list[int]:
    """Accounts A, B, C signed in in that order, each with `owned[account]` queued channels."""
    for n, account in enumerate((A, B, C)):
        await AccountLedger(engine, VirtualClock(now + timedelta(minutes=n))).bind(
            account, session_key=-account, session_path=f"data/acc{n + 1}.session")
    names = []
    async with write(engine) as conn:
        for account, count in owned.items():
            for k in range(count):
                channel, _ = await ChannelRepo(conn).add(f"@c{account}_{k}", f"c{account}_{k}", 1, now)
                await AccountRepo(conn).claim(channel.id, account)
        for k in range(3):
            channel, _ = await ChannelRepo(conn).add(f"@new{k}", f"new{k}", 1, now)
            names.append(channel.id)
    return names


async def test_a_new_channel_goes_to_the_live_account_with_the_most_spare_capacity(
    engine: AsyncEngine, now: datetime
) -> None:
    new = await setup(engine, now, {A: 30, B: 10, C: 2})
    await AccountLedger(engine, VirtualClock(now)).set_fatal(C, "USER_DEACTIVATED_BAN", "banned")
    assigner = Assigner(engine, PacingConfig(), 60)
    # C has the most room but is banned; B has 33 runs an hour to spare, A 13.
    assert [await assigner.channel_account(cid) for cid in new] == [B, B, B]
    # Asked again, a channel keeps its account.
    assert await assigner.channel_account(new[0]) == B
    async with read(engine) as conn:
        assert (await AccountRepo(conn).collectable_counts())[B] == 13


async def test_no_live_account_leaves_a_channel_unassigned(engine: AsyncEngine, now: datetime) -> None:
    new = await setup(engine, now, {})
    for account in (A, B, C):
        await AccountLedger(engine, VirtualClock(now)).set_fatal(account, "AUTH_KEY_UNREGISTERED", "out")
    assert await Assigner(engine, PacingConfig(), 60).channel_account(new[0]) is None
    async with read(engine) as conn:
        assert (await ChannelRepo(conn).get(new[0])).account_id is None


def test_spare_capacity_is_runs_an_hour_left_under_the_pacing_policy() -> None:
    config = PacingConfig()
    capacity = 3600 / run_seconds(config)  # about 43 channel runs an hour
    assert spare_runs(config, 15, 30) == pytest.approx(capacity - 30)  # every 30 min: 2 runs each
    assert spare_runs(config, 50, 60) < 0  # past what one account reads
    assert most_spare({A: 20, B: 15}, config, 60) == B
    assert most_spare({A: 15, B: 15}, config, 60) == A  # a tie: the account signed in first
    assert most_spare({}, config, 60) is None


async def test_a_block_postpones_only_its_own_account_s_channels(engine: AsyncEngine, now: datetime) -> None:
    await setup(engine, now, {A: 1, B: 1})
    until = now + timedelta(hours=2)
    async with write(engine) as conn:
        await ChannelRepo(conn).postpone_all(until, A)
    async with read(engine) as conn:
        due = {c.username: c.next_collection_at for c in await ChannelRepo(conn).list_all()}
        assert (await ChannelRepo(conn).next_due(now, account_id=B)).username == "c222_0"
    # A's own channel and those nobody has yet (A would take them) wait; B's stays due.
    assert due == {"c111_0": until, "c222_0": now, "new0": until, "new1": until, "new2": until}
