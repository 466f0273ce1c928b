"""The production path to Telegram under the real TelegramClient, over the TL-level test Telegram
(sandbox/mtproto.py): the wire log shows every request the account sent, with its time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from app.wiring import Wiring, production_wiring
from clock import VirtualClock
from collector.service import Collector
from sandbox.mtproto import FakeTelegram
from settings import Settings, load_settings
from storage.channels import ChannelRepo
from storage.db import read
from storage.runs import RunRepo
from tests.collector.helpers import RecordingNotifier

HISTORY, RESOLVE, INIT = "messages.GetHistory", "contacts.ResolveUsername", "help.GetConfig"


def boundary_settings(db_url: str, fake: FakeTelegram, **extra: Any) -> Settings:
    return load_settings(None, database_url=db_url, telegram_api_id=1, telegram_api_hash="x" * 32,
                         telegram_session_string=fake.session().save(), **extra)


class Boundary:
    """One process of the production composition over the test Telegram; start() again = restart."""

    def __init__(self, engine: AsyncEngine, settings: Settings, fake: FakeTelegram) -> None:
        self.engine, self.settings, self.fake, self.clock = engine, settings, fake, fake.clock
        self.notifier = RecordingNotifier()
        self.wiring: Wiring | None = None
        self.collector: Collector | None = None

    async def start(self) -> Collector:
        await self.stop()
        self.wiring = await production_wiring(self.settings, self.clock, connection=self.fake.connection())
        self.collector = Collector(self.engine, self.wiring.source, self.wiring.gate, self.clock,
                                   self.notifier, self.settings.collect_interval_minutes)
        self.collector.wake_hook = lambda: None
        return self.collector

    async def stop(self) -> None:
        if self.wiring is not None:
            await self.wiring.close()
            self.wiring = None


@pytest.fixture
def fake(now: datetime) -> FakeTelegram:
    return FakeTelegram(VirtualClock(now))


@pytest.fixture
async def boundary(engine: AsyncEngine, db_url: str, fake: FakeTelegram) -> AsyncIterator[Boundary]:
    b = Boundary(engine, boundary_settings(db_url, fake), fake)
    try:
        yield b
    finally:
        await b.stop()


def methods(fake: FakeTelegram) -> list[str]:
    return [c.method for c in fake.wire]


def assert_gaps(fake: FakeTelegram, gap: float = 1.0) -> None:
    """Every request at least `gap` after the one before it, start to start, all of them."""
    for a, b in pairwise(fake.wire):
        assert b.at - a.at >= gap - 1e-9, f"{a.method} then {b.method} only {b.at - a.at:.3f} s apart"


async def test_start_up_sends_only_init_and_who_am_i_through_the_gate(boundary: Boundary) -> None:
    collector = await boundary.start()
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    # No updates.GetState / GetDifference: a collector needs no updates, and nothing talks behind
    # the gate's back.
    assert methods(boundary.fake) == [INIT, "users.GetUsers", RESOLVE, HISTORY, "channels.GetFullChannel"]
    assert_gaps(boundary.fake)
    assert all(c.answer == "ok" for c in boundary.fake.wire)


async def test_the_collector_stores_what_telegram_answered_on_the_real_adapter(boundary: Boundary) -> None:
    collector = await boundary.start()
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    (page,) = [c for c in boundary.fake.wire if c.method == HISTORY]
    assert page.request.limit == 50  # type: ignore[attr-defined]
    async with read(boundary.engine) as conn:
        (run,) = await RunRepo(conn).recent()
        (channel,) = await ChannelRepo(conn).list_all()
    assert run.error is None and 45 <= run.fetched <= 50  # 50 messages, some of them service ones
    assert channel.status == "active" and channel.resolved_by == boundary.fake.account_id


async def test_a_reconnect_repeat_passes_the_gate(boundary: Boundary) -> None:
    collector = await boundary.start()
    boundary.fake.drop(HISTORY)
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    # The reconnect is Telethon's connect (InitConnection, then who am I), each through the gate.
    assert methods(boundary.fake)[2:] == [RESOLVE, HISTORY, INIT, "users.GetUsers", HISTORY,
                                          "channels.GetFullChannel"]
    assert [c.answer for c in boundary.fake.calls(HISTORY)] == ["dropped", "ok"]
    assert_gaps(boundary.fake)
    async with read(boundary.engine) as conn:
        (run,) = await RunRepo(conn).recent()
    assert run.error is None and run.fetched >= 45


async def test_five_flood_waits_in_a_row_block_the_account(engine: AsyncEngine, db_url: str,
                                                           fake: FakeTelegram) -> None:
    boundary = Boundary(engine, boundary_settings(db_url, fake, mtproto_max_flood_wait=600), fake)
    try:
        collector = await boundary.start()
        fake.inject(HISTORY, "FLOOD_WAIT_30", times=5)
        await collector.enqueue(["@pulse_tech", "@pulse_news"], added_by=1)
        await collector.drain()
        # Each FloodWait obeyed to the second before the repeat; after the fifth nothing more is sent,
        # not even the next channel's ResolveUsername.
        floods = fake.calls(HISTORY)
        assert [c.answer for c in floods] == ["FLOOD_WAIT_30"] * 5
        assert all(b.at - a.at >= 30 for a, b in pairwise(floods))
        assert methods(fake).count(RESOLVE) == 1 and methods(fake)[-1] == HISTORY
        assert ("postponed", "pulse_tech", 30.0) in boundary.notifier.events
        sent = len(fake.wire)
        fake.clock.advance(599)
        await collector.drain()
        assert len(fake.wire) == sent
    finally:
        await boundary.stop()


async def test_a_long_flood_wait_holds_across_a_restart(boundary: Boundary) -> None:
    fake, clock = boundary.fake, boundary.fake.clock
    collector = await boundary.start()
    fake.inject(HISTORY, "FLOOD_WAIT_7200")
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    flood = fake.calls(HISTORY)[-1]
    assert flood.answer == "FLOOD_WAIT_7200"
    sent = len(fake.wire)
    clock.advance(60)
    collector = await boundary.start()  # a deploy, a crash, `systemctl restart`
    await collector.enqueue(["@pulse_news"], added_by=1)
    for _ in range(5):  # rounds every 2000 s: three inside the wait, two after it
        await collector.drain()
        clock.advance(2000)
    after_restart = fake.wire[sent:]
    assert all(c.at >= flood.at + 7200 for c in after_restart)  # no request before the wait ended
    # ...then the new channel is resolved, the old one read by its stored id: one resolve each.
    assert [c.request.username for c in fake.calls(RESOLVE)] == ["pulse_tech", "pulse_news"]  # type: ignore[attr-defined]
    assert_gaps(fake)


async def test_a_banned_channel_is_resolved_once_and_marked(boundary: Boundary) -> None:
    boundary.fake.ban("pulse_tech")
    collector = await boundary.start()
    await collector.enqueue(["@pulse_tech"], added_by=1)
    for _ in range(5):
        await collector.drain()
        boundary.fake.clock.advance(3600)
    assert methods(boundary.fake).count(RESOLVE) == 1
    async with read(boundary.engine) as conn:
        (channel,) = await ChannelRepo(conn).list_all()
    assert channel.status == "failed" and channel.status_kind == "banned"
    assert "not available to this account" in (channel.status_reason or "")


async def test_a_renamed_channel_is_read_by_its_id_never_resolved_again(boundary: Boundary) -> None:
    collector = await boundary.start()
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    boundary.fake.world.rename("pulse_tech", "pulse_tech_daily")
    for _ in range(3):
        boundary.fake.clock.advance(3600)
        collector = await boundary.start()  # restarts between the rounds, too
        await collector.drain()
    assert methods(boundary.fake).count(RESOLVE) == 1
    async with read(boundary.engine) as conn:
        (channel,) = await ChannelRepo(conn).list_all()
    assert channel.username == "pulse_tech_daily" and channel.status == "active"


async def test_a_server_error_is_repeated_within_the_budget_not_storming(boundary: Boundary) -> None:
    collector = await boundary.start()
    boundary.fake.inject(HISTORY, "HISTORY_GET_FAILED", times=10)
    await collector.enqueue(["@pulse_tech"], added_by=1)
    await collector.drain()
    # One logical request: the first try and two repeats, each a wire request through the gate
    # (Telethon's own request_retries would have sent up to 6 per try).
    assert [c.answer for c in boundary.fake.calls(HISTORY)] == ["HISTORY_GET_FAILED"] * 3
    assert_gaps(boundary.fake)
    async with read(boundary.engine) as conn:
        (channel,) = await ChannelRepo(conn).list_all()
    assert channel.status == "queued"  # stays due for the next round


async def test_an_unexpected_error_is_retried_three_later_rounds_then_fails(boundary: Boundary) -> None:
    collector = await boundary.start()
    boundary.fake.inject(HISTORY, "SOMETHING_ODD", times=100)
    await collector.enqueue(["@pulse_tech"], added_by=1)
    for _ in range(12):
        await collector.drain()
        boundary.fake.clock.advance(3600)
    assert len(boundary.fake.calls(HISTORY)) == 4  # the first round and three more, then never again
    async with read(boundary.engine) as conn:
        (channel,) = await ChannelRepo(conn).list_all()
        runs = sorted(await RunRepo(conn).recent(), key=lambda r: r.id)
    assert channel.status == "failed" and "SOMETHING_ODD" in (channel.status_reason or "")
    starts = [r.started_at for r in runs]
    assert [round((b - a).total_seconds() / 3600) for a, b in pairwise(starts)] == [1, 2, 4]


async def test_a_signed_out_session_stops_collection_and_tells_admins_once(boundary: Boundary) -> None:
    collector = await boundary.start()
    await collector.enqueue(["@pulse_tech", "@pulse_news"], added_by=1)
    boundary.fake.sign_out()
    for _ in range(3):
        await collector.drain()
        boundary.fake.clock.advance(3600)
    stopped = [e for e in boundary.notifier.events if e[0] == "stopped"]
    assert len(stopped) == 1 and "run `python main.py login` again" in str(stopped[0][2])
    assert methods(boundary.fake).count(RESOLVE) == 1  # nothing after Telegram said so


async def test_collect_takes_the_same_path_as_run(
    db_url: str, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`collect --once` over the test Telegram: the same wiring, gate and retry policy as `run`."""
    from functools import partial

    import collector.telethon_source as adapter
    from app.collect import collect_command

    monkeypatch.setattr("app.wiring.RealClock", lambda: fake.clock)
    monkeypatch.setattr(adapter, "GatedTelegramClient",
                        partial(adapter.GatedTelegramClient, connection=fake.connection()))
    fake.drop(HISTORY)
    code = await collect_command(boundary_settings(db_url, fake), ["@pulse_tech"], once=True)
    assert code == 0, capsys.readouterr()
    assert methods(fake) == [INIT, "users.GetUsers", RESOLVE, HISTORY, INIT, "users.GetUsers", HISTORY,
                             "channels.GetFullChannel"]
    assert_gaps(fake)
    assert "@pulse_tech: first collection done" in capsys.readouterr().out


class StoppedInLongPauses(VirtualClock):
    """A virtual clock on which a process is stopped 10 s into any pause over 100 s (SIGTERM in the
    middle of sitting out a FloodWait), until `stopping` is turned off."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.stopping = True
        self.stopped = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        if self.stopping and seconds > 100:
            await super().sleep(10)
            self.stopped.set()
            await asyncio.Event().wait()  # until the task is cancelled
        await super().sleep(seconds)


async def test_a_method_s_flood_wait_holds_across_a_restart_in_the_middle_of_it(
    engine: AsyncEngine, db_url: str, now: datetime
) -> None:
    clock = StoppedInLongPauses(now)
    fake = FakeTelegram(clock)
    boundary = Boundary(engine, boundary_settings(db_url, fake), fake)
    try:
        collector = await boundary.start()
        fake.inject(HISTORY, "FLOOD_WAIT_300")  # short enough to sit out (MTPROTO_MAX_FLOOD_WAIT 3600)
        await collector.enqueue(["@pulse_tech"], added_by=1)
        drain = asyncio.create_task(collector.drain())
        await clock.stopped.wait()
        drain.cancel()  # stopped 10 s into the wait
        await asyncio.gather(drain, return_exceptions=True)
        clock.stopping = False
        collector = await boundary.start()
        await collector.drain()
    finally:
        await boundary.stop()
    flood, repeat = fake.calls(HISTORY)
    assert (flood.answer, repeat.answer) == ("FLOOD_WAIT_300", "ok")
    assert repeat.at - flood.at >= 300  # the restarted process sat out the rest, to the second
    assert_gaps(fake)


async def test_login_sends_nothing_while_the_account_is_blocked(
    engine: AsyncEngine, db_url: str, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from functools import partial

    import collector.telethon_source as adapter
    from collector.ledger import AccountLedger
    from collector.login import login
    from collector.telethon_client import GatedTelegramClient
    from storage.ledger import ACCOUNT, Block

    real_now = datetime.now(UTC)  # `login` runs on the real clock
    session_key = GatedTelegramClient(fake.session(), 1, "x" * 32, None, 2.0).session_key()  # type: ignore[arg-type]
    ledger = AccountLedger(engine, fake.clock)
    await ledger.bind(fake.account_id, session_key)
    await ledger.block(fake.account_id, Block(ACCOUNT, HISTORY, 7200, "flood_wait", real_now,
                                              real_now + timedelta(seconds=7200)))
    monkeypatch.setattr(adapter, "GatedTelegramClient",
                        partial(adapter.GatedTelegramClient, connection=fake.connection()))
    assert await login(boundary_settings(db_url, fake)) == 1
    err = capsys.readouterr().err
    assert "login stopped: the Telegram account is blocked until" in err and "7200 s FloodWait" in err
    assert fake.wire == []  # not even InitConnection


async def test_a_stalled_link_is_a_dropped_connection_not_a_stop(boundary: Boundary) -> None:
    """Telethon's keepalive cancels the pending request when a ping goes unanswered; the collector
    repeats it after a reconnect, as after any drop, instead of ending the drain as if stopped."""
    collector = await boundary.start()
    client = boundary.wiring.source.client  # type: ignore[union-attr]
    answer = boundary.fake._handlers[HISTORY]
    stalled = asyncio.Event()

    async def stall_once(request: object) -> object:  # Telegram's answer never comes back, once
        boundary.fake._handlers[HISTORY] = answer
        stalled.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    boundary.fake._handlers[HISTORY] = stall_once
    await collector.enqueue(["@pulse_tech"], added_by=1)
    drain = asyncio.create_task(collector.drain())
    await stalled.wait()
    client._sender._ping = 12345  # a ping sent 60 s ago is still unanswered...
    client._sender._keepalive_ping(678)  # ...which is what Telethon's keepalive checks
    await drain
    async with read(boundary.engine) as conn:
        (run,) = await RunRepo(conn).recent()
    assert run.error is None and run.fetched >= 45
    # The stalled GetHistory never got its answer (the wire log keeps answered calls); the repeat
    # came after a reconnect, each through the gate.
    assert methods(boundary.fake)[2:] == [RESOLVE, INIT, "users.GetUsers", HISTORY, "channels.GetFullChannel"]
    assert run.pacing_seconds is not None and run.pacing_seconds["backoff"] == 2.0
    assert_gaps(boundary.fake)


async def test_a_key_telegram_no_longer_knows_is_one_line_naming_login(
    engine: AsyncEngine, db_url: str, fake: FakeTelegram
) -> None:
    from telethon.crypto import AuthKey
    from telethon.sessions import StringSession

    from app.wiring import StartupError

    forgotten = StringSession(fake.session().save())
    forgotten.auth_key = AuthKey(b"\x07" * 256)  # a key the test Telegram never issued
    settings = boundary_settings(db_url, fake).model_copy(
        update={"telegram_session_string": SecretStr(forgotten.save())})
    with pytest.raises(StartupError, match=r"AUTH_KEY_NOT_FOUND\): run `python main.py login` again"):
        await production_wiring(settings, fake.clock, connection=fake.connection())
    assert fake.wire == []


async def test_collect_once_while_the_account_is_blocked_says_so_and_exits_1(
    engine: AsyncEngine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.collect import collect_command
    from clock import RealClock
    from collector.ledger import AccountLedger
    from sandbox.telegram import ACCOUNT_ID
    from storage.ledger import ACCOUNT, Block

    real_now = datetime.now(UTC)
    ledger = AccountLedger(engine, RealClock())
    await ledger.bind(ACCOUNT_ID, None)
    await ledger.block(ACCOUNT_ID, Block(ACCOUNT, HISTORY, 7200, "flood_wait", real_now,
                                         real_now + timedelta(hours=2)))
    settings = load_settings(None, database_url=db_url)
    assert await collect_command(settings, ["@pulse_tech"], once=True, sandbox=True) == 1
    err = capsys.readouterr().err
    assert "nothing collected: the Telegram account is blocked until" in err
    async with read(engine) as conn:
        assert await RunRepo(conn).recent() == []  # no run was even started
