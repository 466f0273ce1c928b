"""/accounts and the handover message, end to end over the Bot API."""

from __future__ import annotations

from datetime import timedelta

from bot.notifier import BotNotifier
from clock import VirtualClock
from collector.assignment import Handover, Move
from collector.ledger import AccountLedger
from storage.accounts import AccountRepo
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.ledger import ACCOUNT, Block
from tests.bot.conftest import ADMIN, STRANGER, Harness

A, B, C = 111, 222, 333
BANNED = "Telegram banned this account (USER_DEACTIVATED_BAN): it cannot collect any more"


async def seed_accounts(running: Harness) -> None:
    """A collects three channels, B one and is flood-waited, C was banned; one channel is nobody's."""
    now = running.clock.now()
    for account, path, hours in ((A, "data/pulse.session", 3), (B, "data/acc2.session", 2),
                                 (C, "data/acc3.session", 1)):
        await AccountLedger(running.engine, VirtualClock(now - timedelta(hours=hours))).bind(
            account, session_key=-account, session_path=path)
    ledger = AccountLedger(running.engine, running.clock)
    for _ in range(2):
        await ledger.request(A, "messages.GetHistory")
    await ledger.block(B, Block(ACCOUNT, "messages.GetHistory", 7200, "flood_wait", now,
                                now + timedelta(seconds=7200)))
    await ledger.set_fatal(C, "USER_DEACTIVATED_BAN", BANNED)
    owners = [A, A, A, B, None]
    async with write(running.engine) as conn:
        for name, owner in zip(("pulse_news", "pulse_tech", "pulse_markets", "pulse_private", "later"),
                               owners, strict=True):
            channel, _ = await ChannelRepo(conn).add(f"@{name}", name, ADMIN, now)
            if owner is not None:
                await AccountRepo(conn).claim(channel.id, owner)


async def test_accounts_lists_each_account_with_its_load_ledger_and_state(running: Harness) -> None:
    await seed_accounts(running)
    reply = await running.ask_one("/accounts")
    assert reply.text.split("\n\n") == [
        "Account 111 (data/pulse.session): active\n"
        "3 channels · load: 3 of ~43 channel runs per hour\n"
        "account: 2 requests in the last hour, 0 FloodWaits today, 0 resolves today, no block",
        "Account 222 (data/acc2.session): blocked until 14:00 UTC\n"
        "1 channel · load: 1 of ~43 channel runs per hour\n"
        "account: blocked until 14:00 UTC by a 7200 s FloodWait on GetHistory; 0 requests in the last "
        "hour, 1 FloodWait today, 0 resolves today",
        "Account 333 (data/acc3.session): stopped: banned since 02 Mar 12:00 UTC\n"
        "0 channels · load: 0 of ~43 channel runs per hour\n"
        f"account: collection stopped: {BANNED}",
        "1 channel(s) not taken by any account yet; the next collector to run takes them.",
    ]


async def test_accounts_is_for_admins_only(running: Harness) -> None:
    await seed_accounts(running)
    reply = await running.ask_one("/accounts", user=STRANGER)
    assert "111" not in reply.text and "acc2" not in reply.text


async def test_accounts_with_none_signed_in_says_what_to_run(running: Harness) -> None:
    reply = await running.ask_one("/accounts")
    assert reply.text == "No collector account has signed in yet: run python main.py login."


async def test_a_stopped_account_s_handover_reaches_the_admins_in_one_message(running: Harness) -> None:
    await seed_accounts(running)
    async with read(running.engine) as conn:
        accounts = {a.account_id: a for a in await AccountRepo(conn).get_accounts()}
    notifier = BotNotifier(running.digests.bot, running.engine, running.collector.notifier.settings,
                           running.clock)
    handover = Handover(A, (Move("pulse_news", accounts[B]), Move("pulse_tech", accounts[B]),
                            Move("pulse_markets", accounts[C])))
    await notifier.account_stopped("Telegram signed this session out (AUTH_KEY_UNREGISTERED)", handover)
    (message,) = await running.server.next_messages(ADMIN)
    assert message.text.splitlines() == [
        "⛔ Collection stopped: Telegram signed this session out (AUTH_KEY_UNREGISTERED)",
        "Its channels went to the other accounts (each resolves them once):",
        "@pulse_news → account 222 (data/acc2.session)",
        "@pulse_tech → account 222 (data/acc2.session)",
        "@pulse_markets → account 333 (data/acc3.session)",
    ]
    assert await running.said_since(ADMIN) == []
