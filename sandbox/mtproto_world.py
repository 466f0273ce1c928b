"""The sandbox world (SandboxTelegram) answering channel requests the way Telegram shapes them.

Resolve and full-channel go through the world's public methods. History and re-reads cannot (the
world answers with posts only: no service messages, no total count), so they read the world's
model directly; each still passes the world's `_request`, so the world's request record and
injected faults cover all four kinds alike.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from telethon.tl import functions, types

from collector.source import (
    BANNED,
    NOT_CHANNEL,
    NOT_FOUND,
    ChannelInvalid,
    ChannelKey,
    ChannelUnavailable,
    FloodWait,
    SourceDisconnected,
)
from sandbox import mtproto_tl as tl
from sandbox.history import history_ids
from sandbox.mtproto_link import Dropped
from sandbox.telegram import SPECS, SandboxTelegram, _Spec

# Letters, digits and single underscores; a letter first, no underscore last; 4 (collectible
# names) to 32 characters. Anything else Telegram refuses before looking it up.
_USERNAME = re.compile(r"[a-z](?:_?[a-z0-9])+")


class RpcFail(Exception):
    """The request is answered with rpc_error `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorldAnswers:
    """The four channel requests, answered from `world` as Telegram's TL objects."""

    def __init__(self, world: SandboxTelegram) -> None:
        self.world = world

    async def resolve(self, username: str) -> types.contacts.ResolvedPeer:
        name = username.lower()
        if not (4 <= len(name) <= 32 and _USERNAME.fullmatch(name)):
            raise RpcFail("USERNAME_INVALID")
        async with _world_errors():
            try:
                found = await self.world.resolve(name)
            except ChannelUnavailable as exc:
                if exc.kind == NOT_CHANNEL:
                    person = person_user(name)
                    return types.contacts.ResolvedPeer(types.PeerUser(person.id), chats=[], users=[person])
                if exc.kind != BANNED:
                    raise
                # Banned: the name still resolves, to a channel this account may not see.
                spec = self.world._by_name()[name]
                forbidden = tl.channel_forbidden(spec.tg_id, self.world._hash(spec), spec.title)
                return types.contacts.ResolvedPeer(types.PeerChannel(spec.tg_id), chats=[forbidden], users=[])
        chat = tl.channel(found.tg_id, found.access_hash, found.title, found.username,
                          self.world.date_of(_spec(found.tg_id), 0))
        return types.contacts.ResolvedPeer(types.PeerChannel(found.tg_id), chats=[chat], users=[])

    async def full_channel(self, request: functions.channels.GetFullChannelRequest,
                           ) -> types.messages.ChatFull:
        key = self._key(request.channel)
        async with _world_errors():
            info = await self.world.get_info(key)
        spec = _spec(key.tg_id)
        chat = tl.channel(key.tg_id, key.access_hash, info.title, info.username,
                          self.world.date_of(spec, 0), info.aliases)
        return tl.chat_full(chat, info.subscribers, pts=self.world._latest(spec) + 1)

    async def history(self, request: functions.messages.GetHistoryRequest,
                      ) -> types.messages.ChannelMessages:
        if request.offset_date and request.offset_date.timestamp() != 0:  # 0 on the wire: unset
            raise RpcFail("OFFSET_DATE_NOT_SUPPORTED_BY_FAKE")
        key = self._key(request.peer)
        spec, now = await self._open("history", key)
        every = self._message_ids(spec, now)
        page = history_ids(every, offset_id=request.offset_id, add_offset=request.add_offset,
                           limit=request.limit, max_id=request.max_id, min_id=request.min_id)
        messages = [self._message(spec, i, now) for i in page]
        pts = self.world._latest(spec) + 1
        return tl.channel_messages(messages, len(every), self._channel(spec, key), pts)

    async def messages(self, request: functions.channels.GetMessagesRequest,
                       ) -> types.messages.ChannelMessages:
        if not all(isinstance(m, types.InputMessageID) for m in request.id):
            raise RpcFail("INPUT_MESSAGE_NOT_SUPPORTED_BY_FAKE")
        key = self._key(request.channel)
        spec, now = await self._open("messages", key)
        latest = self.world._latest(spec)
        messages = [
            tl.empty_message(spec.tg_id, m.id) if not 0 < m.id <= latest or self.world._gone(spec, m.id, now)
            else self._message(spec, m.id, now)
            for m in request.id
        ]
        return tl.channel_messages(messages, len(messages), self._channel(spec, key), latest + 1)

    # -- helpers -------------------------------------------------------------------------------

    def _key(self, peer: object) -> ChannelKey:
        if not isinstance(peer, types.InputChannel | types.InputPeerChannel):
            raise RpcFail("PEER_NOT_SUPPORTED_BY_FAKE")
        return ChannelKey(peer.channel_id, peer.access_hash)

    async def _open(self, kind: str, key: ChannelKey) -> tuple[_Spec, datetime]:
        async with _world_errors():
            await self.world._request(kind)
            return self.world._open(key), self.world.clock.now()

    def _message_ids(self, spec: _Spec, now: datetime) -> list[int]:
        """Every message the channel holds now, service messages included, deleted ones not."""
        return [i for i in range(1, self.world._latest(spec) + 1) if not self.world._gone(spec, i, now)]

    def _message(self, spec: _Spec, i: int, now: datetime) -> types.TypeMessage:
        if self.world._is_service(spec, i):
            return tl.service_message(spec.tg_id, i, self.world.date_of(spec, i))
        return tl.post_message(spec.tg_id, self.world._post(spec, i, now))

    def _channel(self, spec: _Spec, key: ChannelKey) -> types.Channel:
        return tl.channel(spec.tg_id, key.access_hash, spec.title, self.world._name(spec),
                          self.world.date_of(spec, 0))


def person_user(username: str) -> types.User:
    """The person behind a username that is not a channel; ids are stable per name."""
    digest = hashlib.blake2b(f"person:{username}".encode(), digest_size=8).digest()
    return tl.user(6_000_000_000 + int.from_bytes(digest[:4], "big"),
                   int.from_bytes(digest, "big", signed=True), username.title(), username)


def _spec(tg_id: int) -> _Spec:
    return next(s for s in SPECS.values() if s.tg_id == tg_id)


@asynccontextmanager
async def _world_errors() -> AsyncIterator[None]:
    """The world's exceptions as Telegram's errors (or a closed connection). A banned account gets
    CHANNEL_PRIVATE for everything but resolving, as from Telegram."""
    try:
        yield
    except FloodWait as exc:
        raise RpcFail(f"FLOOD_WAIT_{math.ceil(exc.seconds)}") from None
    except SourceDisconnected:
        raise Dropped from None
    except ChannelInvalid:
        raise RpcFail("CHANNEL_INVALID") from None
    except ChannelUnavailable as exc:
        raise RpcFail("USERNAME_NOT_OCCUPIED" if exc.kind == NOT_FOUND else "CHANNEL_PRIVATE") from None
