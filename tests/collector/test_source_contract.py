"""One contract, two sources: the offline sandbox and the Telethon adapter under the real
TelegramClient over the TL-level test Telegram answer every request alike."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from collector.gate import RequestGate
from collector.ledger import AccountLedger
from collector.pacing import Pacer, PacingConfig
from collector.source import (
    BANNED,
    NOT_CHANNEL,
    NOT_FOUND,
    PRIVATE,
    ChannelInvalid,
    ChannelKey,
    ChannelSource,
    ChannelUnavailable,
    FloodWait,
)
from collector.telethon_client import GatedTelegramClient
from collector.telethon_source import TelethonSource
from sandbox.mtproto import FakeTelegram
from sandbox.telegram import ACCOUNT_ID, SPECS, SandboxTelegram
from tests.collector.tl_fake import API_HASH, API_ID


@dataclass
class Side:
    source: ChannelSource
    world: SandboxTelegram  # the channels both sides show
    flood: Callable[[str, int], None]  # the next request of a method answers FLOOD_WAIT_<seconds>


@pytest.fixture(params=["sandbox", "telethon"])
async def side(request: pytest.FixtureRequest, engine: AsyncEngine, now: datetime) -> AsyncIterator[Side]:
    clock = VirtualClock(now)
    gate = RequestGate(Pacer(PacingConfig(), clock, random.Random(1)), AccountLedger(engine, clock))
    if request.param == "sandbox":
        world = SandboxTelegram(clock, gate=gate)
        kinds = {"messages.GetHistory": "history", "contacts.ResolveUsername": "resolve"}
        yield Side(world, world, lambda m, s: world.inject_flood_wait(kinds[m], s))
        return
    fake = FakeTelegram(clock)
    client = GatedTelegramClient(fake.session(), API_ID, API_HASH, gate, 2.0, connection=fake.connection())
    try:
        yield Side(TelethonSource(client), fake.world, lambda m, s: fake.inject(m, f"FLOOD_WAIT_{s}"))
    finally:
        await client.disconnect()


def key_of(world: SandboxTelegram, username: str) -> ChannelKey:
    spec = SPECS[username]
    return ChannelKey(spec.tg_id, world._hash(spec))


async def test_resolve_names_the_channel(side: Side) -> None:
    resolved = await side.source.resolve("pulse_tech")
    assert (resolved.tg_id, resolved.title, resolved.username) == (1_900_000_002, "Pulse Tech Digest",
                                                                   "pulse_tech")
    assert resolved.key == key_of(side.world, "pulse_tech")
    assert await side.source.account_id() == ACCOUNT_ID


@pytest.mark.parametrize(("name", "kind"), [("pulse_nowhere", NOT_FOUND), ("pulse_person", NOT_CHANNEL)])
async def test_resolve_refuses_what_is_no_channel(side: Side, name: str, kind: str) -> None:
    with pytest.raises(ChannelUnavailable) as caught:
        await side.source.resolve(name)
    assert caught.value.kind == kind


async def test_a_banned_channel_fails_at_resolve_and_after(side: Side) -> None:
    side.world.ban("pulse_markets")
    with pytest.raises(ChannelUnavailable) as caught:
        await side.source.resolve("pulse_markets")
    assert caught.value.kind == BANNED
    with pytest.raises(ChannelUnavailable) as caught:
        await side.source.get_history(key_of(side.world, "pulse_markets"), 10)
    assert caught.value.kind == PRIVATE


async def test_a_private_channel_resolves_but_cannot_be_read(side: Side) -> None:
    resolved = await side.source.resolve("pulse_private")
    with pytest.raises(ChannelUnavailable) as caught:
        await side.source.get_info(resolved.key)
    assert caught.value.kind == PRIVATE


async def test_a_wrong_access_hash_is_channel_invalid(side: Side) -> None:
    with pytest.raises(ChannelInvalid):
        await side.source.get_history(ChannelKey(1_900_000_002, 12345), 10)


async def test_pages_count_service_messages_and_page_the_way_telegram_does(side: Side) -> None:
    key = key_of(side.world, "pulse_news")
    newest = await side.source.get_history(key, 50)
    assert newest.returned == 50 and 45 <= len(newest) < 50  # service messages take places too
    ids = [p.message_id for p in newest]
    assert ids == sorted(ids) and newest.oldest_id is not None and newest.oldest_id <= ids[0]
    assert not newest.at_start
    older = await side.source.get_history(key, 20, older_than=newest.oldest_id)
    assert older.returned == 20 and all(p.message_id < newest.oldest_id for p in older)
    newer = await side.source.get_history(key, 20, newer_than=ids[10])
    # The oldest messages above the one given: what the newest page held after it, in order.
    assert [p.message_id for p in newer] == [i for i in ids if i > ids[10]][:len(newer)]
    assert newer.returned == 20


async def test_rereads_match_by_id_and_report_deletions(side: Side) -> None:
    key = key_of(side.world, "pulse_news")
    page = await side.source.get_history(key, 50)
    ids = [p.message_id for p in page]
    found = await side.source.get_messages(key, [ids[0], ids[-1], 10**9])
    assert [p.message_id if p else None for p in found] == [ids[0], ids[-1], None]
    again, before = found[1], page[-1]
    assert again is not None and (again.date, again.text, again.media_kind) == (
        before.date, before.text, before.media_kind)
    assert again.views is not None and before.views is not None and again.views >= before.views


async def test_info_gives_title_username_and_subscribers(side: Side) -> None:
    info = await side.source.get_info(key_of(side.world, "pulse_news"))
    assert (info.tg_id, info.title, info.username) == (1_900_000_001, "Pulse News", "pulse_news")
    assert info.subscribers is not None and info.subscribers > 40_000
    assert info.aliases == ("pulsenews",)


async def test_a_flood_wait_names_the_method_and_its_seconds(side: Side) -> None:
    side.flood("messages.GetHistory", 120)
    with pytest.raises(FloodWait) as caught:
        await side.source.get_history(key_of(side.world, "pulse_news"), 10)
    assert (caught.value.seconds, caught.value.request) == (120, "messages.GetHistory")
