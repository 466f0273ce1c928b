"""The request gate and the account ledger, on a virtual clock: gaps, blocks, budgets, restarts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.gate import RUN_BUDGET, RequestGate
from collector.ledger import AccountLedger, describe
from collector.pacing import Pacer, PacingConfig
from collector.source import AccountBlocked, RunBudgetSpent

ACCOUNT = 5150
HISTORY = "messages.GetHistory"
RESOLVE = "contacts.ResolveUsername"


def gate(engine: AsyncEngine, clock: VirtualClock, **pacing: float) -> RequestGate:
    """A gate as one process builds it; another call over the same engine is a restarted process."""
    return RequestGate(Pacer(PacingConfig(**pacing), clock, random.Random(1)), AccountLedger(engine, clock))


async def bound(engine: AsyncEngine, clock: VirtualClock, **pacing: float) -> RequestGate:
    g = gate(engine, clock, **pacing)
    await g.bind(ACCOUNT, session_key=42)
    return g


async def test_requests_are_a_gap_apart_start_to_start(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    g = await bound(engine, clock)
    starts = []
    for method in (RESOLVE, HISTORY, HISTORY):
        await g.before_request(method)
        starts.append(clock.monotonic())
        clock.advance(0.3)  # the request's own round trip counts toward the next gap
    assert starts == pytest.approx([0.0, 1.0, 2.0])
    assert clock.sleeps == pytest.approx([0.7, 0.7])


async def test_the_gap_holds_across_a_restart(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    await (await bound(engine, clock)).before_request(HISTORY)
    clock.advance(0.25)
    restarted = gate(engine, clock)
    await restarted.bind_session(42)  # the session's key says whose ledger it is, before any request
    assert restarted.account == ACCOUNT
    await restarted.before_request(HISTORY)
    assert clock.sleeps == pytest.approx([0.75])


async def test_a_long_flood_wait_blocks_the_account_across_a_restart(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    g = await bound(engine, clock)
    await g.before_request(HISTORY)
    block = await g.flood_wait(HISTORY, 7200)
    assert block.scope == "account" and 7200 <= (block.until - now).total_seconds() < 7201
    clock.advance(60)
    restarted = gate(engine, clock)
    await restarted.bind_session(42)
    with pytest.raises(AccountBlocked, match=r"blocked until 14:0\d UTC by a 7200 s FloodWait on GetHistory"):
        await restarted.before_request(RESOLVE)  # any method: the wait binds the account
    assert restarted.sent == 0
    line = describe(await AccountLedger(engine, clock).summary())
    assert line.startswith("account: blocked until 14:0") and "1 FloodWait today" in line
    clock.advance(7200)
    await restarted.before_request(RESOLVE)
    assert restarted.sent == 1


async def test_a_short_flood_wait_is_waited_out_before_that_method_only(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    g = await bound(engine, clock)
    await g.before_request(HISTORY)
    await g.flood_wait(HISTORY, 30)
    await g.before_request(RESOLVE)  # another method: only the request gap
    assert clock.sleeps == pytest.approx([1.0])
    await g.before_request(HISTORY)
    assert 29 <= clock.sleeps[-1] <= 30  # the rest of the 30 s (plus jitter), never less
    assert clock.monotonic() >= 30


async def test_five_flood_waits_in_a_row_block_the_account(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    g = await bound(engine, clock, max_flood_wait=600)
    for _ in range(4):
        await g.before_request(HISTORY)
        assert (await g.flood_wait(HISTORY, 20)).scope == HISTORY
    assert g.blocked() is None
    await g.before_request(HISTORY)
    block = await g.flood_wait(HISTORY, 20)
    assert block.scope == "account" and block.reason == "flood_streak"
    assert (block.until - clock.now()).total_seconds() >= 600
    with pytest.raises(AccountBlocked, match="after 5 FloodWaits in a row"):
        await g.before_request(RESOLVE)


async def test_an_answer_between_flood_waits_ends_the_streak(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    g = await bound(engine, clock)
    for _ in range(8):
        await g.before_request(HISTORY)
        await g.flood_wait(HISTORY, 5)
        await g.before_request(HISTORY)
        g.answered()
    assert g.blocked() is None


async def test_one_run_sends_at_most_its_budget(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    g = await bound(engine, clock)
    g.start_run()
    for _ in range(RUN_BUDGET):
        await g.before_request(HISTORY)
    with pytest.raises(RunBudgetSpent):
        await g.before_request(HISTORY)
    g.end_run()
    await g.before_request(HISTORY)  # the next run has its own budget
    assert g.sent == RUN_BUDGET + 1


async def test_the_pause_between_channels_holds_when_another_process_of_the_account_takes_over(
    engine: AsyncEngine, now: datetime
) -> None:
    """Two collector processes of one account take turns (the queue's lock): the second one's
    first channel keeps the policy's 8 s from the first one's last request, and its requests 1 s."""
    clock = VirtualClock(now)
    first, second = await bound(engine, clock), await bound(engine, clock)
    await second.catch_up()
    await second.pacer.before_channel()  # it has collected nothing yet: nothing to keep
    first.start_run()
    await first.before_request(HISTORY)  # the first process's last request of its channel: t = 0
    first.end_run()
    clock.advance(0.5)  # its run is recorded; the second process takes the next channel
    await second.catch_up()
    await second.pacer.before_channel()
    assert clock.sleeps == pytest.approx([7.5])
    await second.before_request(HISTORY)
    assert clock.sleeps == pytest.approx([7.5])  # 8 s since then: the request gap is long kept


async def test_the_ledger_line_counts_the_last_hour_and_today(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    g = await bound(engine, clock)
    await g.before_request(RESOLVE)
    clock.advance(2 * 3600)
    for method in (HISTORY, "channels.GetFullChannel", RESOLVE):
        await g.before_request(method)
    assert describe(await AccountLedger(engine, clock).summary(ACCOUNT)) == (
        "account: 3 requests in the last hour, 0 FloodWaits today, 2 resolves today, no block")
    clock.advance(timedelta(days=3).total_seconds())
    assert describe(await AccountLedger(engine, clock).summary(ACCOUNT)) == (
        "account: 0 requests in the last hour, 0 FloodWaits today, 0 resolves today, no block")


async def test_a_session_key_moves_to_the_account_that_signed_in(engine: AsyncEngine, now: datetime) -> None:
    clock = VirtualClock(now)
    old = await bound(engine, clock)  # ACCOUNT on session 42
    await old.before_request(HISTORY)
    await old.flood_wait(HISTORY, 7200)  # the old account is blocked
    new = gate(engine, clock)
    await new.bind_session(42)
    assert new.account == ACCOUNT
    await new.bind(9999, session_key=42)  # `login` signed another account in on the same key
    assert new.blocked() is None  # the old account's block is not this one's
    await new.before_request(HISTORY)
    restarted = gate(engine, clock)
    await restarted.bind_session(42)
    assert restarted.account == 9999 and restarted.blocked() is None


async def test_a_new_session_is_held_to_the_known_account_until_it_signs_in(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    old = await bound(engine, clock)
    await old.before_request(HISTORY)
    await old.flood_wait(HISTORY, 7200)
    fresh = gate(engine, clock)
    await fresh.bind_session(77)  # a session file the ledger has never seen (a new `login`)
    with pytest.raises(AccountBlocked):
        await fresh.before_request("help.GetConfig")


async def test_two_accounts_in_one_database_keep_their_own_blocks_and_request_gaps(
    engine: AsyncEngine, now: datetime
) -> None:
    other = 6160
    clock = VirtualClock(now)
    a, b = gate(engine, clock), gate(engine, clock)
    await a.bind_session(42, "data/pulse.session")
    await a.bind(ACCOUNT, session_key=42)
    await b.bind_session(43, "data/acc2.session")
    await b.bind(other, session_key=43)
    await b.before_request(HISTORY)  # B's last request: t = 0
    clock.advance(0.5)
    await a.before_request(HISTORY)  # A's: t = 0.5, answered with a two-hour FloodWait
    await a.flood_wait(HISTORY, 7200)
    await b.before_request(HISTORY)  # B is not held, and its gap is from its own last request
    assert clock.sleeps == pytest.approx([0.5])
    clock.advance(0.25)
    # Restarted processes: each session finds its own account's ledger.
    a2, b2 = gate(engine, clock), gate(engine, clock)
    await a2.bind_session(42, "data/pulse.session")
    await b2.bind_session(43, "data/acc2.session")
    assert (a2.account, b2.account) == (ACCOUNT, other)
    with pytest.raises(AccountBlocked, match="7200 s FloodWait on GetHistory"):
        await a2.before_request(HISTORY)
    await b2.before_request(HISTORY)  # B's last request was at t = 1.0: 0.75 s of its gap left
    assert clock.sleeps == pytest.approx([0.5, 0.75])
    ledger = AccountLedger(engine, clock)
    assert describe(await ledger.summary(other)).endswith("0 FloodWaits today, 0 resolves today, no block")
    assert describe(await ledger.summary(ACCOUNT)).startswith("account: blocked until 14:0")


async def test_a_new_session_file_is_not_held_to_an_account_signed_in_from_another_file(
    engine: AsyncEngine, now: datetime
) -> None:
    clock = VirtualClock(now)
    a = gate(engine, clock)
    await a.bind_session(42, "data/pulse.session")
    await a.bind(ACCOUNT, session_key=42)
    await a.before_request(HISTORY)
    await a.flood_wait(HISTORY, 7200)
    same_file = gate(engine, clock)  # a new log-in on the same file: maybe the same account
    await same_file.bind_session(44, "data/pulse.session")
    assert same_file.account == ACCOUNT
    another = gate(engine, clock)  # `login --session data/acc2.session`: another account's
    await another.bind_session(45, "data/acc2.session")
    assert another.account is None
    await another.before_request("help.GetConfig")
    assert another.sent == 1
