"""`login --session` adds an account and `accounts` lists it, over the TL-level test Telegram."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession

import collector.telethon_source as adapter
import main
from clock import RealClock, VirtualClock
from collector.ledger import AccountLedger
from sandbox import mtproto_tl as tl
from sandbox.mtproto import FakeTelegram
from storage.accounts import AccountRepo
from storage.channels import ChannelRepo
from storage.db import write
from storage.ledger import ACCOUNT, Block
from storage.migrate import open_database


def write_signed_in_session(path: str, fake: FakeTelegram) -> None:
    """A session file holding the fake account's auth key, as `login` leaves it once signed in."""
    session = SQLiteSession(path)
    session.set_dc(tl.DC_ID, tl.HOST, tl.PORT)
    session.auth_key = AuthKey(fake.session().auth_key.key)
    session.save()
    session.close()


@pytest.fixture
def accounts(db_url: str, now: datetime, monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeTelegram]:
    """Two Telegram accounts, each behind its own session file; every client dials its file's one."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TELEGRAM_API_ID", "12345")
    monkeypatch.setenv("TELEGRAM_API_HASH", "0123456789abcdef0123456789abcdef")
    Path("data").mkdir()
    fakes = {"data/pulse.session": FakeTelegram(VirtualClock(now), account_id=111),
             "data/acc2.session": FakeTelegram(VirtualClock(now), account_id=222)}
    for path, fake in fakes.items():
        write_signed_in_session(path, fake)
    real = adapter.GatedTelegramClient

    def client(session: Any, *args: Any, **kwargs: Any) -> Any:
        fake = fakes[str(session) if str(session).endswith(".session") else f"{session}.session"]
        return real(session, *args, connection=fake.connection(), **kwargs)

    monkeypatch.setattr(adapter, "GatedTelegramClient", client)
    return fakes


def test_login_with_a_session_file_adds_an_account_that_accounts_lists(
    accounts: dict[str, FakeTelegram], capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.main(["login"]) == 0
    assert main.main(["login", "--session", "data/acc2.session"]) == 0
    out = capsys.readouterr().out
    assert out.count("already signed in") == 2
    assert main.main(["accounts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "account 111 (data/pulse.session): active"
    assert lines[3] == "account 222 (data/acc2.session): active"
    assert lines[1] == "  0 channels; load: 0 of ~43 channel runs per hour"
    # Each login's requests are in its own account's ledger, none in the other's.
    first, second = (len(accounts[p].wire) for p in ("data/pulse.session", "data/acc2.session"))
    assert first == second > 0
    assert lines[2] == (f"  account: {first} requests in the last hour, 0 FloodWaits today, 0 resolves "
                        "today, no block")
    assert lines[5] == lines[2]


def test_accounts_before_any_login_says_what_to_do(
    accounts: dict[str, FakeTelegram], capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.main(["accounts"]) == 0
    assert capsys.readouterr().out.strip() == "No account has signed in yet: run `python main.py login`."


async def block_account(db_url: str, account_id: int) -> None:
    """A two-hour FloodWait of the whole account, in the ledger, from the real now (`login`'s clock)."""
    engine = await open_database(db_url)
    try:
        start = datetime.now(UTC)
        await AccountLedger(engine, RealClock()).block(account_id, Block(
            ACCOUNT, "messages.GetHistory", 7200, "flood_wait", start, start + timedelta(hours=2)))
    finally:
        await engine.dispose()


def test_one_account_s_flood_wait_does_not_hold_another_account_s_login(
    accounts: dict[str, FakeTelegram], db_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.main(["login"]) == 0
    asyncio.run(block_account(db_url, 111))
    sent = len(accounts["data/pulse.session"].wire)
    capsys.readouterr()
    assert main.main(["login"]) == 1
    assert "login stopped: the Telegram account is blocked until" in capsys.readouterr().err
    assert len(accounts["data/pulse.session"].wire) == sent  # nothing sent on the blocked account
    # A session file no account has used yet is another account's, not held to the blocked one.
    assert main.main(["login", "--session", "data/acc2.session"]) == 0
    assert "already signed in" in capsys.readouterr().out


async def stop_with_channels(db_url: str, account_id: int, names: list[str]) -> None:
    """The account was banned when no other account was live: its channels stayed with it."""
    engine = await open_database(db_url)
    try:
        now = datetime.now(UTC)
        await AccountLedger(engine, RealClock()).set_fatal(account_id, "USER_DEACTIVATED_BAN", "banned")
        async with write(engine) as conn:
            for name in names:
                channel, _ = await ChannelRepo(conn).add(f"@{name}", name, 1, now)
                await AccountRepo(conn).claim(channel.id, account_id)
    finally:
        await engine.dispose()


def test_signing_another_account_in_takes_over_the_channels_a_stopped_account_was_left_with(
    accounts: dict[str, FakeTelegram], db_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.main(["login"]) == 0
    asyncio.run(stop_with_channels(db_url, 111, ["pulse_news", "pulse_tech"]))
    capsys.readouterr()
    assert main.main(["login", "--session", "data/acc2.session"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "channels of stopped account 111:",
        "@pulse_news → account 222 (data/acc2.session)",
        "@pulse_tech → account 222 (data/acc2.session)",
    ]
    assert main.main(["accounts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("account 111 (data/pulse.session): stopped: banned since")
    assert lines[1] == "  0 channels; load: 0 of ~43 channel runs per hour"
    assert lines[3] == "account 222 (data/acc2.session): active"
    assert lines[4] == "  2 channels; load: 2 of ~43 channel runs per hour"
