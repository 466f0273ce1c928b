"""The thin Telethon implementation of ChannelSource: raw requests in, our own types and errors out."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telethon import TelegramClient, errors
from telethon.sessions import StringSession
from telethon.tl import functions, types

from collector.source import (
    BANNED,
    NOT_CHANNEL,
    NOT_FOUND,
    PRIVATE,
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
from collector.telethon_map import map_message

log = logging.getLogger("collector.telethon")

LOGIN_HINT = "the Telegram session is not signed in: run `python main.py login` first"
# Telethon logs this line each time it sleeps through a FloodWait below flood_sleep_threshold.
_FLOOD_LINE = re.compile(r"Sleeping(?: early)? for (\d+)s .* flood wait")


def build_client(settings: Any) -> TelegramClient:
    """One client per process; it sleeps through FloodWaits only up to MTPROTO_SLEEP_THRESHOLD."""
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
    return TelegramClient(
        session, settings.telegram_api_id, settings.telegram_api_hash.get_secret_value(),
        flood_sleep_threshold=settings.mtproto_sleep_threshold, receive_updates=False,
    )


async def ensure_authorized(client: TelegramClient) -> int:
    """Connect without any prompt; raise NotAuthorized (one line naming `login`) when signed out."""
    if not client.is_connected():
        await client.connect()
    if not await client.is_user_authorized():
        raise NotAuthorized(LOGIN_HINT)
    me = await client.get_me(input_peer=True)
    return int(me.user_id)


class FloodSleepCapture(logging.Handler):
    """Counts the short FloodWaits Telethon sleeps through by itself (it tells only its logger)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.sleeps: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = _FLOOD_LINE.search(record.getMessage())
        if match:
            self.sleeps.append(float(match.group(1)))
            log.info("Rate limiting: flood_wait pause %s s taken inside Telethon (%s)",
                     match.group(1), record.getMessage())


class TelethonSource:
    def __init__(self, client: TelegramClient, account: int | None = None) -> None:
        self.client = client
        self._account = account
        self._capture = FloodSleepCapture()
        logger = logging.getLogger("telethon.client.users")
        logger.addHandler(self._capture)
        # Telethon only tells its logger when it sleeps, so that logger must let INFO through.
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)

    def close(self) -> None:
        logging.getLogger("telethon.client.users").removeHandler(self._capture)

    def take_flood_sleeps(self) -> list[float]:
        sleeps, self._capture.sleeps = self._capture.sleeps, []
        return sleeps

    async def account_id(self) -> int | None:
        if self._account is None:
            self._account = await ensure_authorized(self.client)
        return self._account

    async def resolve(self, username: str) -> ResolvedChannel:
        async with _translated(f"@{username}"):
            result = await self.client(functions.contacts.ResolveUsernameRequest(username=username))
        if not isinstance(result.peer, types.PeerChannel):
            raise ChannelUnavailable(f"@{username} is a person's or bot's account, not a channel",
                                     NOT_CHANNEL)
        chat = next(c for c in result.chats if c.id == result.peer.channel_id)
        if getattr(chat, "megagroup", False):
            raise ChannelUnavailable(f"@{username} is a group, not a channel", NOT_CHANNEL)
        return ResolvedChannel(chat.id, chat.access_hash, chat.title, (chat.username or username).lower())

    async def get_info(self, channel: ChannelKey) -> ChannelInfo:
        async with _translated(f"channel {channel.tg_id}"):
            full = await self.client(functions.channels.GetFullChannelRequest(channel=_input(channel)))
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
            # The oldest `limit` messages after newer_than: start just above it and page upward.
            req = _history(
                channel, offset_id=newer_than + 1, add_offset=-limit, limit=limit, min_id=newer_than
            )
        else:
            req = _history(channel, offset_id=older_than or 0, add_offset=0, limit=limit, min_id=0)
        async with _translated(f"channel {channel.tg_id}"):
            result = await self.client(req)
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
        async with _translated(f"channel {channel.tg_id}"):
            result = await self.client(req)
        # Matched by id, never by position: a missing or empty message means deleted.
        by_id = {m.id: map_message(m) for m in result.messages}
        return [by_id.get(i) for i in ids]


def _input(key: ChannelKey) -> types.InputChannel:
    return types.InputChannel(channel_id=key.tg_id, access_hash=key.access_hash)


def _history(key: ChannelKey, **kw: int) -> functions.messages.GetHistoryRequest:
    peer = types.InputPeerChannel(channel_id=key.tg_id, access_hash=key.access_hash)
    return functions.messages.GetHistoryRequest(peer=peer, offset_date=None, max_id=0, hash=0, **kw)


@asynccontextmanager
async def _translated(what: str) -> AsyncIterator[None]:
    """Telethon's errors become ours, so nothing of Telethon's crosses the boundary."""
    try:
        yield
    except (errors.FloodWaitError, errors.FloodPremiumWaitError, errors.SlowModeWaitError) as exc:
        raise FloodWait(exc.seconds, type(exc.request).__name__ if exc.request else "") from None
    except (errors.UsernameNotOccupiedError, errors.UsernameInvalidError):
        raise ChannelUnavailable(f"no channel is called {what} (the username is not taken)",
                                 NOT_FOUND) from None
    except errors.ChannelPrivateError:
        raise ChannelUnavailable(f"{what} is private or this account is banned from it", PRIVATE) from None
    except (errors.ChannelBannedError, errors.ChannelPublicGroupNaError):
        raise ChannelUnavailable(f"{what} is not available to this account", BANNED) from None
    except errors.ChannelInvalidError:
        raise ChannelInvalid(what) from None
    except (errors.AuthKeyUnregisteredError, errors.UnauthorizedError):
        raise NotAuthorized(LOGIN_HINT) from None
    except (errors.ServerError, errors.TimedOutError, errors.RpcCallFailError) as exc:
        # Telegram's own passing failures (HISTORY_GET_FAILED is a ServerError): retry next round.
        raise SourceDisconnected(f"{what}: Telegram had a passing problem ({type(exc).__name__})") from None
    except (ConnectionError, OSError) as exc:
        raise SourceDisconnected(f"{what}: {exc}") from None
    except ValueError as exc:
        # Telethon's own words after retrying a request that kept failing on Telegram's side.
        if "Request was unsuccessful" not in str(exc):
            raise
        raise SourceDisconnected(f"{what}: {exc}") from None


