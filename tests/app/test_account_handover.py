"""Several accounts over the real TelegramClient and the TL-level test Telegram: an account collects
its own channels and the unassigned ones, and one Telegram signs out hands its channels to the others,
spare capacity first, each then resolved once by its new account."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.wiring import StartupError, production_wiring
from clock import VirtualClock
from collector.assignment import account_label
from collector.ledger import AccountLedger
from collector.telethon_client import GatedTelegramClient
from sandbox.mtproto import FakeTelegram
from storage.accounts import AccountRepo
from storage.channels import ChannelRepo
from storage.db import read, write
from tests.app.test_telegram_boundary import RESOLVE, Boundary, boundary_settings

A, B, C = 111, 222, 333


def key_of(fake: FakeTelegram) -> int | None:
    return GatedTelegramClient(fake.session(), 1, "x" * 32, None, 2.0).session_key()  # type: ignore[arg-type]


async def sign_in(engine: AsyncEngine, account: int, key: int | None, path: str, at: datetime) -> None:
    """What `login --session path` leaves in the ledger."""
    await AccountLedger(engine, VirtualClock(at)).bind(account, session_key=key, session_path=path)


async def owners(engine: AsyncEngine) -> dict[str, tuple[int | None, bool]]:
    """Each channel's account, and whether it holds an access hash."""
    async with read(engine) as conn:
        tracked = await ChannelRepo(conn).list_all()
    return {c.username: (c.account_id, c.access_hash is not None) for c in tracked}


async def test_a_signed_out_account_hands_its_channels_to_the_others_spare_capacity_first(
    engine: AsyncEngine, db_url: str, now: datetime,
) -> None:
    fake_a = FakeTelegram(VirtualClock(now), account_id=A)
    fake_b = FakeTelegram(VirtualClock(now), world=fake_a.world, account_id=B)
    await sign_in(engine, B, key_of(fake_b), "data/acc2.session", now - timedelta(hours=2))
    await sign_in(engine, C, -C, "data/acc3.session", now - timedelta(hours=1))
    first = Boundary(engine, boundary_settings(db_url, fake_a), fake_a)
    collector = await first.start()
    async with write(engine) as conn:  # C already collects one channel
        channel, _ = await ChannelRepo(conn).add("@pulse_private", "pulse_private", 1, now)
        await AccountRepo(conn).claim(channel.id, C)
    await collector.enqueue(["@pulse_news", "@pulse_tech", "@pulse_markets"], added_by=1)
    await collector.drain()
    # A took the three nobody had, and left C's channel alone (A would have failed it: private to A).
    assert await owners(engine) == {"pulse_private": (C, False), "pulse_news": (A, True),
                                    "pulse_tech": (A, True), "pulse_markets": (A, True)}
    async with read(engine) as conn:
        assert (await ChannelRepo(conn).get_by_username("pulse_private")).status == "queued"

    fake_a.sign_out()
    fake_a.clock.advance(3600)
    await collector.drain()
    await collector.drain()
    await first.stop()
    # B had none and C one: the first goes to B, then B and C tie (B signed in first), then C.
    assert await owners(engine) == {"pulse_private": (C, False), "pulse_news": (B, False),
                                    "pulse_tech": (B, False), "pulse_markets": (C, False)}
    stopped = [e for e in first.notifier.events if e[0] == "stopped"]
    assert len(stopped) == 1 and "AUTH_KEY_UNREGISTERED" in str(stopped[0][2])
    (handover,) = first.notifier.handovers
    assert handover is not None and handover.account_id == A and not handover.stranded
    assert [(m.username, account_label(m.account)) for m in handover.moved] == [
        ("pulse_news", "account 222 (data/acc2.session)"), ("pulse_tech", "account 222 (data/acc2.session)"),
        ("pulse_markets", "account 333 (data/acc3.session)")]

    # B's collector resolves each of its channels once, by itself, and reads them.
    fake_b.clock.advance((fake_a.clock.now() - fake_b.clock.now()).total_seconds())
    second = Boundary(engine, boundary_settings(db_url, fake_b), fake_b)
    try:
        await (await second.start()).drain()
    finally:
        await second.stop()
    assert [c.request.username for c in fake_b.calls(RESOLVE)] == ["pulse_news", "pulse_tech"]
    async with read(engine) as conn:
        moved = [await ChannelRepo(conn).get_by_username(n) for n in ("pulse_news", "pulse_tech")]
    assert all(c.resolved_by == B and c.access_hash is not None and c.status == "active" for c in moved)


async def test_with_no_other_account_the_channels_stay_and_admins_are_told_so(
    engine: AsyncEngine, db_url: str, now: datetime,
) -> None:
    fake = FakeTelegram(VirtualClock(now), account_id=A)
    boundary = Boundary(engine, boundary_settings(db_url, fake), fake)
    collector = await boundary.start()
    try:
        await collector.enqueue(["@pulse_news"], added_by=1)
        await collector.drain()
        fake.sign_out()
        fake.clock.advance(3600)
        await collector.drain()
    finally:
        await boundary.stop()
    assert await owners(engine) == {"pulse_news": (A, True)}  # collected again once A signs in again
    (handover,) = boundary.notifier.handovers
    assert handover is not None and handover.moved == () and handover.stranded == ("pulse_news",)


async def test_an_account_found_banned_at_start_up_hands_its_channels_over(
    engine: AsyncEngine, db_url: str, now: datetime, caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeTelegram(VirtualClock(now), account_id=A)
    await sign_in(engine, A, key_of(fake), "data/pulse.session", now - timedelta(hours=2))
    await sign_in(engine, B, -B, "data/acc2.session", now - timedelta(hours=1))
    async with write(engine) as conn:
        channel, _ = await ChannelRepo(conn).add("@pulse_news", "pulse_news", 1, now)
        await AccountRepo(conn).claim(channel.id, A)
    # Banned while no process ran: every request that needs the account is refused.
    for method in ("users.GetUsers", "updates.GetState"):
        fake.inject(method, "USER_DEACTIVATED_BAN", times=2)
    with pytest.raises(StartupError, match=r"Telegram banned this account \(USER_DEACTIVATED_BAN\)"):
        await production_wiring(boundary_settings(db_url, fake), fake.clock, connection=fake.connection())
    assert await owners(engine) == {"pulse_news": (B, False)}
    assert "@pulse_news → account 222 (data/acc2.session)" in caplog.text


async def test_a_collector_starting_takes_the_channels_a_stopped_account_was_left_with(
    engine: AsyncEngine, db_url: str, now: datetime,
) -> None:
    await test_with_no_other_account_the_channels_stay_and_admins_are_told_so(engine, db_url, now)
    # Account B, signed in since, starts its collector: @pulse_news is collected again, by B.
    fake_b = FakeTelegram(VirtualClock(now + timedelta(hours=2)), account_id=B)
    await sign_in(engine, B, key_of(fake_b), "data/acc2.session", now + timedelta(hours=1))
    second = Boundary(engine, boundary_settings(db_url, fake_b), fake_b)
    try:
        await (await second.start()).drain()
    finally:
        await second.stop()
    assert await owners(engine) == {"pulse_news": (B, True)}
    assert [c.request.username for c in fake_b.calls(RESOLVE)] == ["pulse_news"]
