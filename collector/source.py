"""The boundary to Telegram: our own frozen types and exceptions; no Telethon type crosses it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, overload

from storage.models import Counters


@dataclass(frozen=True)
class ChannelKey:
    """What every request after the first needs: the id and access hash stored at resolve time."""

    tg_id: int
    access_hash: int


@dataclass(frozen=True)
class ResolvedChannel:
    tg_id: int
    access_hash: int
    title: str
    username: str

    @property
    def key(self) -> ChannelKey:
        return ChannelKey(self.tg_id, self.access_hash)


@dataclass(frozen=True)
class ChannelInfo:
    tg_id: int
    title: str
    username: str | None  # None: no public username (private now, or reachable only by invite)
    subscribers: int | None  # None: Telegram did not say (never 0 for unknown)
    aliases: tuple[str, ...] = ()  # its other active usernames (collectible ones), if any


@dataclass(frozen=True)
class SourcePost:
    """One channel post as Telegram reports it; service messages never become one."""

    message_id: int
    date: datetime
    text: str = ""
    media_kind: str | None = None
    grouped_id: int | None = None
    edit_date: datetime | None = None
    forward_from: str | None = None
    post_author: str | None = None
    views: int | None = None
    forwards: int | None = None
    replies: int | None = None
    reactions: int | None = None  # every reaction except paid ones
    paid_reactions: int | None = None
    reactions_json: Mapping[str, int] | None = None  # emoticon or "custom:<document id>" -> count

    @property
    def counters(self) -> Counters:
        return Counters(
            self.views, self.forwards, self.replies, self.reactions, self.paid_reactions,
            dict(self.reactions_json) if self.reactions_json is not None else None,
        )


@dataclass(frozen=True)
class HistoryPage:
    """One history request's answer: its posts, oldest first, and what Telegram's whole answer
    said. Service messages count toward a request's limit but never become posts, so a page can
    hold fewer posts than asked, or none, in the middle of a channel's history. It iterates,
    indexes and measures as its posts."""

    posts: tuple[SourcePost, ...] = ()
    returned: int = 0  # messages Telegram returned, service messages included
    oldest_id: int | None = None  # the lowest id among them: where an older page starts
    at_start: bool = False  # Telegram's answer shows nothing older exists (newest/older requests)

    def __post_init__(self) -> None:
        object.__setattr__(self, "posts", tuple(self.posts))

    def __iter__(self) -> Iterator[SourcePost]:
        return iter(self.posts)

    def __len__(self) -> int:
        return len(self.posts)

    @overload
    def __getitem__(self, index: int) -> SourcePost: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[SourcePost, ...]: ...

    def __getitem__(self, index: int | slice) -> SourcePost | tuple[SourcePost, ...]:
        return self.posts[index]


class SourceError(Exception):
    """Anything the source could not do; the subclasses say what to do about it."""


# What a ChannelUnavailable is, told by the error Telegram raised (never guessed from the words).
PRIVATE = "private"  # CHANNEL_PRIVATE: private now, or this account was banned from it
NOT_FOUND = "not_found"  # no channel has this username (never did, or not any more)
BANNED = "banned"  # unavailable to this account (CHANNEL_BANNED, CHANNEL_PUBLIC_GROUP_NA)
NOT_CHANNEL = "not_channel"  # a person's, a bot's or a group's username
DUPLICATE = "duplicate"  # the same channel is tracked under another name already
GONE = "gone"  # the stored id stays invalid even after resolving again
UNAVAILABLE = "unavailable"  # anything else


class ChannelUnavailable(SourceError):
    """Private, banned, missing or not a channel; `reason` is one line in words, `kind` says which."""

    def __init__(self, reason: str, kind: str = UNAVAILABLE) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class ChannelInvalid(SourceError):
    """The stored id/access hash no longer works (e.g. another account); resolve once more."""


class FloodWait(SourceError):
    """Telegram asked us to wait `seconds` before repeating the request."""

    def __init__(self, seconds: float, request: str = "") -> None:
        super().__init__(f"Telegram asked to wait {seconds:g} s{' on ' + request if request else ''}")
        self.seconds = float(seconds)
        self.request = request


class SourceDisconnected(SourceError):
    """The connection to Telegram dropped mid-request; the request may be repeated later."""


class NotAuthorized(SourceError):
    """The session is missing or signed out."""


class AccountFatal(NotAuthorized):
    """Telegram ended this account's session (signed out, revoked, used twice at once, banned):
    nothing more may be sent until someone acts; `kind` is Telegram's error, `reason` says what to do."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class AccountBlocked(SourceError):
    """The account ledger forbids this request: a FloodWait too long to sit through is in force."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.reason, self.until = reason, until


class RunBudgetSpent(SourceError):
    """The channel's run has used every wire request it may; it goes on in the next round."""


def short_method(method: str) -> str:
    """"messages.GetHistory" -> "GetHistory", as people read it."""
    return method.rsplit(".", 1)[-1]


class ChannelSource(Protocol):
    async def account_id(self) -> int | None:
        """The id of the account doing the reading (stored with each resolve)."""
        ...

    async def resolve(self, username: str) -> ResolvedChannel:
        """One ResolveUsername; only ever called on a channel's first run."""
        ...

    async def get_info(self, channel: ChannelKey) -> ChannelInfo: ...

    async def get_history(
        self, channel: ChannelKey, limit: int, newer_than: int | None = None,
        older_than: int | None = None,
    ) -> HistoryPage:
        """One history request of ≤ limit messages: the newest, or the oldest newer than
        `newer_than`, or the newest older than `older_than`; their posts oldest first."""
        ...

    async def get_messages(self, channel: ChannelKey, ids: list[int]) -> list[SourcePost | None]:
        """One request re-reading `ids` (≤ 100); None at a position means that post was deleted."""
        ...

    async def reconnect(self) -> None:
        """Bring a dropped connection back (through the gate); SourceDisconnected when it cannot."""
        ...
