"""A real TelegramClient wired to the TL-level test Telegram (sandbox/mtproto.py), and small helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from telethon import TelegramClient
from telethon.tl import types

from collector.source import ChannelKey
from sandbox.mtproto import FakeTelegram

API_ID, API_HASH = 1, "x" * 32


def tl_client(fake: FakeTelegram, **client_kwargs: Any) -> TelegramClient:
    """A TelegramClient on the fake's session and connection (receive_updates=False by default,
    as the collector builds it); any other TelegramClient keyword passes through."""
    client_kwargs.setdefault("receive_updates", False)
    return TelegramClient(fake.session(), API_ID, API_HASH, connection=fake.connection(), **client_kwargs)


async def connected_client(fake: FakeTelegram, **client_kwargs: Any) -> TelegramClient:
    """tl_client(), connected; the caller disconnects it."""
    client = tl_client(fake, **client_kwargs)
    await client.connect()
    return client


@asynccontextmanager
async def running_client(fake: FakeTelegram, **client_kwargs: Any) -> AsyncIterator[TelegramClient]:
    """connected_client() for the length of a `with` block, always disconnected afterwards."""
    client = await connected_client(fake, **client_kwargs)
    try:
        yield client
    finally:
        await client.disconnect()


async def settle(done: Callable[[], bool], turns: int = 10_000) -> None:
    """Let background tasks (Telethon's reconnect, the fake's server) run until `done()`; counts
    event-loop turns, never wall time, and fails loudly if it never happens."""
    for _ in range(turns):
        if done():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"still not done after {turns} event-loop turns")


def input_peer(key: ChannelKey) -> types.InputPeerChannel:
    return types.InputPeerChannel(channel_id=key.tg_id, access_hash=key.access_hash)


def input_channel(key: ChannelKey) -> types.InputChannel:
    return types.InputChannel(channel_id=key.tg_id, access_hash=key.access_hash)
