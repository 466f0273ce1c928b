"""A test Telegram at the TL level, under the real telethon.TelegramClient.

Pass `fake.session()` and `fake.connection()` to a TelegramClient: everything above the byte
transport is Telethon's own (MTProtoSender, request loop, flood-sleep threshold, retries,
reconnects). The fake decrypts the client's MTProto packets, answers every RPC from the sandbox
world with a real `rpc_result` or `rpc_error`, and records each one in `wire`. No socket is opened.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telethon.crypto import AuthKey
from telethon.network.connection import Connection
from telethon.sessions import StringSession
from telethon.tl import types
from telethon.tl.tlobject import TLObject, TLRequest

from clock import Clock
from collector.wire_names import method_name, unwrap
from sandbox import mtproto_tl as tl
from sandbox.mtproto_link import Dropped, Server, connection_class
from sandbox.mtproto_wire import tl_bytes
from sandbox.mtproto_world import RpcFail, WorldAnswers
from sandbox.telegram import ACCOUNT_ID, SandboxTelegram

__all__ = ["FakeTelegram", "WireCall", "error_code", "method_name"]

_log = logging.getLogger(__name__)
FAKE_BUG = "FAKE_SERVER_BUG"  # the answer when the fake itself raised (see the log)
_DROP = None  # a queued fault that closes the connection instead of answering
_NO_AUTH_NEEDED = frozenset({"help.GetConfig"})  # answered even when signed out, as by Telegram
_METHOD = re.compile(r"(?:[a-z]+\.)?[A-Z]\w*")
_ERROR = re.compile(r"[A-Z][A-Z0-9_]*")
_CODES = (  # Telegram's error_code for each error_message family; anything else is a 400
    (re.compile(r"(?:FLOOD_WAIT|FLOOD_PREMIUM_WAIT|SLOWMODE_WAIT|FLOOD_TEST_PHONE_WAIT)_\d+"), 420),
    (re.compile(r"(?:PHONE|USER|NETWORK|FILE|STATS)_MIGRATE_\d+"), 303),
    (re.compile(r"AUTH_KEY_UNREGISTERED|AUTH_KEY_INVALID|AUTH_KEY_PERM_EMPTY|USER_DEACTIVATED"
                r"|USER_DEACTIVATED_BAN|SESSION_REVOKED|SESSION_EXPIRED|SESSION_PASSWORD_NEEDED"), 401),
    (re.compile(r"CHAT_WRITE_FORBIDDEN|USER_PRIVACY_RESTRICTED|USER_IS_BLOCKED"), 403),
    (re.compile(r"AUTH_KEY_DUPLICATED|FRESH_\w+"), 406),
    (re.compile(r"HISTORY_GET_FAILED|RPC_CALL_FAIL|RPC_MCGET_FAIL|MEMBER_OCCUPY_PRIMARY_LOC_FAILED"
                r"|INTERDC_\d+_CALL(?:_RICH)?_ERROR|WORKER_BUSY_TOO_LONG_RETRY|\w+_INTERNAL_ERROR"), 500),
)


def error_code(message: str) -> int:
    """The error_code Telegram sends with error_message `message`."""
    return next((code for pattern, code in _CODES if pattern.fullmatch(message)), 400)


@dataclass(frozen=True)
class WireCall:
    """One RPC as the server received it."""

    method: str  # the innermost request's name, e.g. "messages.GetHistory"
    at: float  # clock.monotonic() when it arrived
    when: datetime  # clock.now() when it arrived
    request: TLObject  # the innermost request, as decoded from the wire
    answer: str  # "ok", the error_message sent, or "dropped"


class FakeTelegram:
    """Telegram's servers for one account, seen through the sandbox world."""

    def __init__(self, clock: Clock, world: SandboxTelegram | None = None,
                 account_id: int = ACCOUNT_ID) -> None:
        self.clock = clock
        self.world = world or SandboxTelegram(clock)
        self.account_id = account_id
        self.wire: list[WireCall] = []
        self._faults: defaultdict[str, deque[tuple[str, int] | None]] = defaultdict(deque)
        self._signed_out = False
        self._answers = WorldAnswers(self.world)
        seed = f"channelpulse-test-account:{account_id}".encode()
        key = b"".join(hashlib.sha256(seed + bytes([n])).digest() for n in range(8))  # 256 bytes
        self._access_hash = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big", signed=True)
        self._server = Server(AuthKey(key), self._answer)
        self._connection = connection_class(self._server)
        self._handlers: dict[str, Callable[[Any], Awaitable[object]]] = {
            "help.GetConfig": self._config,
            "users.GetUsers": self._users,
            "updates.GetState": self._state,
            "updates.GetDifference": self._difference,
            "contacts.ResolveUsername": lambda r: self._answers.resolve(r.username),
            "channels.GetFullChannel": self._answers.full_channel,
            "messages.GetHistory": self._answers.history,
            "channels.GetMessages": self._answers.messages,
        }

    # -- what tests use ------------------------------------------------------------------------

    def session(self) -> StringSession:
        """A session on DC 2 at 127.0.0.1:443 (never dialled) holding this fake's auth key."""
        session = StringSession()
        session.set_dc(tl.DC_ID, tl.HOST, tl.PORT)
        session.auth_key = AuthKey(self._server.auth_key.key)
        return session

    def connection(self) -> type[Connection]:
        """The class to pass as TelegramClient(connection=...)."""
        return self._connection

    def inject(self, method: str, error: str, times: int = 1, code: int | None = None) -> None:
        """The next `times` calls of `method` answer rpc_error `error` (code: error_code(error))."""
        if not _ERROR.fullmatch(error):
            raise ValueError(f"{error!r} is not a Telegram error_message (like FLOOD_WAIT_60)")
        self._faults[self._method(method)].extend([(error, code or error_code(error))] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """The connection closes when the next `times` calls of `method` arrive; no reply is sent."""
        self._faults[self._method(method)].extend([_DROP] * times)

    def ban(self, username: str) -> None:
        """This account is banned from the public channel @username (kept by the world, so the
        offline source and this fake agree): resolving it names a ChannelForbidden, anything else
        about it answers CHANNEL_PRIVATE."""
        self.world.ban(username)

    def sign_out(self) -> None:
        """The auth key is no longer logged in: later RPCs answer AUTH_KEY_UNREGISTERED."""
        self._signed_out = True

    def calls(self, method: str) -> list[WireCall]:
        return [c for c in self.wire if c.method == method]

    # -- the server ----------------------------------------------------------------------------

    async def _answer(self, wrapped: TLRequest) -> bytes:
        request, method = unwrap(wrapped), method_name(wrapped)
        at, when = self.clock.monotonic(), self.clock.now()

        def log(answer: str) -> None:
            self.wire.append(WireCall(method, at, when, request, answer))  # type: ignore[arg-type]

        queued = self._faults[method]
        if queued:
            fault = queued.popleft()
            log("dropped" if fault is _DROP else fault[0])
            if fault is _DROP:
                raise Dropped
            return _rpc_error(*fault)
        try:
            if self._signed_out and method not in _NO_AUTH_NEEDED:
                raise RpcFail("AUTH_KEY_UNREGISTERED")
            handler = self._handlers.get(method)
            if handler is None:
                raise RpcFail("METHOD_NOT_SUPPORTED_BY_FAKE")
            result = tl_bytes(await handler(request))
        except RpcFail as exc:
            log(exc.message)
            return _rpc_error(exc.message, error_code(exc.message))
        except Dropped:
            log("dropped")
            raise
        except Exception:
            # A bug in the fake must fail the test, not leave the client waiting forever.
            _log.exception("the test Telegram failed to answer %s", method)
            log(FAKE_BUG)
            return _rpc_error(FAKE_BUG, 400)
        log("ok")
        return result

    def _method(self, method: str) -> str:
        if not _METHOD.fullmatch(method):
            raise ValueError(f"{method!r} is not a method name like 'messages.GetHistory'")
        return method

    async def _config(self, request: object) -> types.Config:
        return tl.config(self.clock.now())

    async def _users(self, request: Any) -> list[types.User]:
        me = tl.user(self.account_id, self._access_hash, "Collector", is_self=True)
        return [me for u in request.id
                if isinstance(u, types.InputUserSelf) or getattr(u, "user_id", None) == self.account_id]

    async def _state(self, request: object) -> types.updates.State:
        return types.updates.State(pts=1, qts=0, date=self.clock.now(), seq=1, unread_count=0)

    async def _difference(self, request: object) -> types.updates.DifferenceEmpty:
        return types.updates.DifferenceEmpty(date=self.clock.now(), seq=1)


def _rpc_error(message: str, code: int) -> bytes:
    return bytes(types.RpcError(error_code=code, error_message=message))
