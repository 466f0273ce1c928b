"""The thin Telethon implementation of ChannelSource: raw requests in, our own types and errors out."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telethon import errors
from telethon.sessions import StringSession
from telethon.tl import functions, types

from collector.gate import RequestGate
from collector.source import (
    BANNED,
    NOT_CHANNEL,
    NOT_FOUND,
    PRIVATE,
    AccountFatal,
    ChannelInfo,
    ChannelInvalid,
    ChannelKey,
    ChannelUnavailable,
    FloodWait,
    HistoryPage,
    NotAuthorized,
    ResolvedChannel,
    SourceDisconnected,
    SourcePost,
)
from collector.telethon_client import GatedTelegramClient
from collector.telethon_map import map_message
from collector.wire_names import method_name

log = logging.getLogger("collector.telethon")

LOGIN_HINT = "the Telegram session is not signed in: run `python main.py login` first"


def build_client(settings: Any, gate: RequestGate, **kwargs: Any) -> GatedTelegramClient:
    """One client per process, every request through `gate` (kwargs: tests pass their connection)."""
    if settings.telegram_api_id is None or settings.telegram_api_hash is None:
        raise NotAuthorized("TELEGRAM_API_ID and TELEGRAM_API_HASH must be set (https://my.telegram.org)")
    if settings.telegram_session_string is not None:
        try:
            session: Any = StringSession(settings.telegram_session_string.get_secret_value())
        except ValueError:
            raise NotAuthorized(
                "TELEGRAM_SESSION_STRING is not a Telethon session string: unset it and run "
                "`python main.py login`, or paste the whole string again"
            ) from None
    else:
        settings.telegram_session.parent.mkdir(parents=True, exist_ok=True)
        session = str(settings.telegram_session)
    return GatedTelegramClient(session, settings.telegram_api_id,
                               settings.telegram_api_hash.get_secret_value(), gate,
                               settings.mtproto_sleep_threshold, **kwargs)


async def ensure_authorized(client: GatedTelegramClient) -> int:
    """Connect without any prompt; NotAuthorized (one line naming `login`) when not signed in, and
    AccountFatal saying what happened when Telegram ended the session (revoked, banned, ...)."""
    try:
        await client.connect()  # which asks who we are, and binds the gate to the answer
    except errors.AuthKeyNotFound:
        raise _key_forgotten() from None
    if client.gate.account is not None and await client.is_user_authorized():
        return client.gate.account
    # Telethon keeps why it is not signed in to itself; one request asks Telegram.
    try:
        await client(functions.users.GetUsersRequest([types.InputUserSelf()]))
    except errors.AuthKeyUnregisteredError:
        raise NotAuthorized(LOGIN_HINT) from None  # never signed in, or signed out: `login`
    except (errors.UnauthorizedError, errors.AuthKeyError) as exc:
        raise (account_fatal(exc) or NotAuthorized(LOGIN_HINT)) from None
    raise NotAuthorized(LOGIN_HINT)


class TelethonSource:
    def __init__(self, client: GatedTelegramClient) -> None:
        self.client = client

    async def account_id(self) -> int | None:
        if self.client.gate.account is None:
            async with _translated("checking the account"):
                await ensure_authorized(self.client)
        return self.client.gate.account

    async def reconnect(self) -> None:
        async with _translated("connecting"):
            await self.client.connect()

    async def resolve(self, username: str) -> ResolvedChannel:
        result = await self._send(functions.contacts.ResolveUsernameRequest(username=username),
                                  f"@{username}")
        if not isinstance(result.peer, types.PeerChannel):
            raise ChannelUnavailable(f"@{username} is a person's or bot's account, not a channel",
                                     NOT_CHANNEL)
        chat = next((c for c in result.chats if c.id == result.peer.channel_id), None)
        if isinstance(chat, types.ChannelForbidden):
            # Telegram names the channel but will not let this account read it (banned from it).
            raise ChannelUnavailable(f"@{username} is not available to this account (banned from it)",
                                     BANNED)
        if not isinstance(chat, types.Channel):
            raise ChannelUnavailable(f"Telegram gave no channel for @{username}", NOT_FOUND)
        if chat.megagroup:
            raise ChannelUnavailable(f"@{username} is a group, not a channel", NOT_CHANNEL)
        name = (chat.username or username).lower()
        return ResolvedChannel(chat.id, chat.access_hash or 0, chat.title, name)

    async def get_info(self, channel: ChannelKey) -> ChannelInfo:
        full = await self._send(functions.channels.GetFullChannelRequest(channel=_input(channel)),
                                f"channel {channel.tg_id}")
        chat = next((c for c in full.chats if c.id == channel.tg_id), None)
        # A channel with collectible usernames may have no `username`, only a list of them.
        names = [u.username for u in getattr(chat, "usernames", None) or [] if u.active]
        main = getattr(chat, "username", None) or (names[0] if names else None)
        return ChannelInfo(
            channel.tg_id, getattr(chat, "title", ""), main,
            full.full_chat.participants_count,  # None when the channel hides it
            tuple(n for n in names if n != main),
        )

    async def get_history(
        self, channel: ChannelKey, limit: int, newer_than: int | None = None,
        older_than: int | None = None,
    ) -> HistoryPage:
        if newer_than is not None:
            # The oldest `limit` messages after newer_than: start just above it and page upward, as
            # Telethon's own iter_messages(reverse=True) asks (no min_id beside a negative add_offset).
            req = _history(channel, offset_id=newer_than + 1, add_offset=-limit, limit=limit)
        else:
            req = _history(channel, offset_id=older_than or 0, add_offset=0, limit=limit)
        result = await self._send(req, f"channel {channel.tg_id}")
        raw = [m for m in result.messages if not isinstance(m, types.MessageEmpty)]
        posts = [p for p in map(map_message, raw) if p is not None]
        if newer_than is not None:
            posts = [p for p in posts if p.message_id > newer_than]
        oldest = min((m.id for m in raw), default=None)
        # Judged from Telegram's raw answer, never from the posts (service messages are dropped):
        # nothing came back, the whole history came back (not a slice), or message 1 is in it. A
        # page merely shorter than asked proves nothing (Telegram may withhold some messages).
        at_start = newer_than is None and (
            oldest is None or oldest <= 1 or isinstance(result, types.messages.Messages)
        )
        return HistoryPage(sorted(posts, key=lambda p: p.message_id), len(raw), oldest, at_start)

    async def get_messages(self, channel: ChannelKey, ids: list[int]) -> list[SourcePost | None]:
        req = functions.channels.GetMessagesRequest(
            channel=_input(channel), id=[types.InputMessageID(id=i) for i in ids]
        )
        result = await self._send(req, f"channel {channel.tg_id}")
        # Matched by id, never by position: a missing or empty message means deleted.
        by_id = {m.id: map_message(m) for m in result.messages}
        return [by_id.get(i) for i in ids]


    async def _send(self, request: Any, what: str) -> Any:
        """One request; a connection dropped earlier (or never opened, as when the account was
        blocked at start) is opened first, through the gate like any request."""
        await self._connected()
        async with _translated(what):
            return await self.client(request)

    async def _connected(self) -> None:
        if not self.client.is_connected():
            await self.reconnect()


def _input(key: ChannelKey) -> types.InputChannel:
    return types.InputChannel(channel_id=key.tg_id, access_hash=key.access_hash)


def _history(key: ChannelKey, **kw: int) -> functions.messages.GetHistoryRequest:
    peer = types.InputPeerChannel(channel_id=key.tg_id, access_hash=key.access_hash)
    return functions.messages.GetHistoryRequest(peer=peer, offset_date=None, max_id=0, min_id=0, hash=0,
                                                **kw)


# Telegram's errors that end the account's session, and what the user can do about each.
_SIGNED_OUT = ("Telegram signed this session out ({kind}): run `python main.py login` again, then "
               "start ChannelPulse again")
_FATAL: tuple[tuple[type[Exception], str], ...] = (
    (errors.AuthKeyDuplicatedError,
     "Telegram saw this session used by two clients at once and revoked it ({kind}): make sure only "
     "one process uses it, then run `python main.py login` again"),
    (errors.UserDeactivatedBanError,
     "Telegram banned this account ({kind}): it cannot collect any more; sign another account in "
     "with `python main.py login`"),
    (errors.UserDeactivatedError,
     "Telegram deactivated this account ({kind}): sign another account in with `python main.py login`"),
    (errors.UnauthorizedError, _SIGNED_OUT),  # AUTH_KEY_UNREGISTERED, SESSION_REVOKED, SESSION_EXPIRED, ...
)


def _key_forgotten() -> AccountFatal:
    """Telegram's transport says it does not know the session's auth key (any more)."""
    return AccountFatal("AUTH_KEY_NOT_FOUND", _SIGNED_OUT.format(kind="AUTH_KEY_NOT_FOUND"))


def account_fatal(exc: errors.RPCError) -> AccountFatal | None:
    """The account-level stop an RPC error means, or None when it is no such error."""
    for kind, text in _FATAL:
        if isinstance(exc, kind):
            name = error_name(exc)
            return AccountFatal(name, text.format(kind=name))
    return None


def error_name(exc: errors.RPCError) -> str:
    """Telegram's error message: AuthKeyUnregisteredError -> "AUTH_KEY_UNREGISTERED" (Telethon's
    named errors keep only their family's message, such as "UNAUTHORIZED")."""
    if type(exc) in (errors.RPCError, *errors.rpcbaseerrors.base_errors.values()):
        return str(exc.message)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__.removesuffix("Error")).upper()


@asynccontextmanager
async def _translated(what: str) -> AsyncIterator[None]:
    """Telethon's errors become ours (one class each: see README "Pacing and what protects the
    account"), so nothing of Telethon's crosses the boundary."""
    try:
        yield
    except (errors.FloodWaitError, errors.FloodPremiumWaitError) as exc:
        raise FloodWait(exc.seconds, method_name(exc.request) if exc.request else "") from None
    except (errors.UsernameNotOccupiedError, errors.UsernameInvalidError):
        raise ChannelUnavailable(f"no channel is called {what} (the username is not taken)",
                                 NOT_FOUND) from None
    except errors.ChannelPrivateError:
        raise ChannelUnavailable(f"{what} is private or this account is banned from it", PRIVATE) from None
    except (errors.ChannelBannedError, errors.ChannelPublicGroupNaError):
        raise ChannelUnavailable(f"{what} is not available to this account", BANNED) from None
    except errors.ChannelInvalidError:
        raise ChannelInvalid(what) from None
    except (errors.UnauthorizedError, errors.AuthKeyError) as exc:
        fatal = account_fatal(exc)
        if fatal is None:
            raise
        raise fatal from None
    except (errors.ServerError, errors.TimedOutError, errors.RpcCallFailError) as exc:
        # Telegram's own passing failures (HISTORY_GET_FAILED is a ServerError): retried.
        raise SourceDisconnected(f"{what}: Telegram had a passing problem ({type(exc).__name__})") from None
    except errors.AuthKeyNotFound:
        raise _key_forgotten() from None
    except BufferError as exc:
        # Telegram's transport refused: 404 is a key it no longer knows, 429 too many connections.
        if getattr(exc, "code", None) == 404:
            raise _key_forgotten() from None
        raise SourceDisconnected(f"{what}: Telegram's transport refused ({exc})") from None
    except (ConnectionError, OSError, EOFError) as exc:
        # A connection closed under a pending request fails it with IncompleteReadError (an EOFError).
        raise SourceDisconnected(f"{what}: the connection dropped ({type(exc).__name__})") from None
