"""A Telethon Connection whose far end is the test Telegram in this process: no socket is opened.

Telethon's own Connection send/receive loops run unchanged; only the byte transport below them is
replaced, so the client's MTProtoSender (encryption, msg_ids, containers, acks, reconnects) is the
real one. The transport framing (abridged/intermediate/full) is the one layer not exercised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar

from telethon.crypto import AuthKey
from telethon.network.connection import Connection
from telethon.tl import types
from telethon.tl.functions import PingDelayDisconnectRequest, PingRequest
from telethon.tl.tlobject import TLRequest

from collector.wire_names import unwrap
from sandbox.mtproto_wire import (
    TRANSPORT_AUTH_KEY_NOT_FOUND,
    MsgIds,
    WireError,
    container,
    decrypt_from_client,
    encrypt_to_client,
    rpc_result,
)

log = logging.getLogger(__name__)

# One request in, its serialized result out (a TL object, a Vector, a Bool, or an rpc_error).
Answer = Callable[[TLRequest], Awaitable[bytes]]


class Dropped(Exception):
    """The server closes the connection instead of answering."""


@dataclass
class Server:
    """What every connection to the test Telegram shares."""

    auth_key: AuthKey
    answer: Answer
    salt: int = field(default_factory=lambda: struct.unpack("<q", os.urandom(8))[0])
    msg_ids: MsgIds = field(default_factory=MsgIds)


class FakeConnection(Connection):
    """Telethon's Connection with the socket replaced by a ServerEnd."""

    server: ClassVar[Server]  # set on the subclass connection_class() builds

    async def _connect(self, timeout: float | None = None, ssl: object = None) -> None:  # noqa: ASYNC109
        # The base class keeps `_writer` for drain()/close()/wait_closed(): the ServerEnd has them.
        self._end = self._writer = ServerEnd(self.server)

    def _send(self, data: bytes) -> None:
        self._end.receive(data)

    async def _recv(self) -> bytes:
        return await self._end.next_packet()


def connection_class(server: Server) -> type[Connection]:
    """The class to pass as TelegramClient(connection=...); every instance reaches `server`."""
    return type("FakeTelegramConnection", (FakeConnection,), {"server": server})


_EOF = object()


class ServerEnd:
    """One connection's server side: decrypts packets, answers in order, encrypts the replies."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._outbox: asyncio.Queue[object] = asyncio.Queue()
        self._session_id: int | None = None
        self._content_sent = 0
        self._closed = False
        self._task = asyncio.get_running_loop().create_task(self._serve())

    # -- the client side: what Telethon's Connection calls ------------------------------------

    def receive(self, packet: bytes) -> None:
        if not self._closed:  # after a close the bytes go nowhere, as on a dead socket
            self._inbox.put_nowait(packet)

    async def next_packet(self) -> bytes:
        item = await self._outbox.get()
        if item is _EOF:
            self._outbox.put_nowait(_EOF)
            # What reading the next packet's length from a socket the server closed raises.
            raise asyncio.IncompleteReadError(b"", 4)
        assert isinstance(item, bytes)
        return item

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        self._closed = True
        self._task.cancel()

    async def wait_closed(self) -> None:
        await asyncio.wait([self._task])  # never raises the server task's CancelledError here

    # -- the server side -----------------------------------------------------------------------

    async def _serve(self) -> None:
        while True:
            packet = await self._inbox.get()
            try:
                reply = await self._handle(packet)
            except WireError:
                reply = TRANSPORT_AUTH_KEY_NOT_FOUND
            except Dropped:
                self._hang_up()
                return
            except Exception:
                # Bytes the server cannot make sense of: Telegram closes such a connection too.
                log.exception("the test Telegram could not handle a packet; closing the connection")
                self._hang_up()
                return
            if reply:
                self._outbox.put_nowait(reply)

    def _hang_up(self) -> None:
        """The server closes the connection: replies already sent still arrive, then end of stream."""
        self._closed = True
        self._outbox.put_nowait(_EOF)

    async def _handle(self, data: bytes) -> bytes | None:
        packet = decrypt_from_client(self._server.auth_key, data)
        out: list[tuple[int, int, bytes]] = []
        if packet.session_id != self._session_id:
            # Each new session id (Telethon makes one per connection) is greeted like Telegram does.
            self._session_id, self._content_sent = packet.session_id, 0
            created = types.NewSessionCreated(
                first_msg_id=packet.messages[0].msg_id,
                unique_id=struct.unpack("<q", os.urandom(8))[0], server_salt=self._server.salt,
            )
            out.append(self._message(bytes(created), content=False, answer=False))
        for message in packet.messages:
            inner = unwrap(message.obj)
            if isinstance(inner, PingRequest | PingDelayDisconnectRequest):
                # pong comes bare, not in an rpc_result, and names the ping's msg_id
                out.append(self._message(bytes(types.Pong(message.msg_id, inner.ping_id)), content=True))
            elif isinstance(message.obj, TLRequest):
                result = await self._server.answer(message.obj)
                out.append(self._message(rpc_result(message.msg_id, result), content=True))
            # msgs_ack, msgs_state_info and other service messages from the client need no answer
        if not out:
            return None
        msg_id, seq_no, body = out[0] if len(out) == 1 else self._message(container(out), content=False)
        return encrypt_to_client(self._server.auth_key, self._server.salt, packet.session_id, msg_id,
                                 seq_no, body)

    def _message(self, body: bytes, content: bool, answer: bool = True) -> tuple[int, int, bytes]:
        seq_no = self._content_sent * 2 + (1 if content else 0)
        self._content_sent += 1 if content else 0
        return self._server.msg_ids.next(answer), seq_no, body
