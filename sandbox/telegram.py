"""The offline Telegram behind `ChannelSource`: deterministic channels whose counters grow with time.

Everything is a pure function of the seed and of the (virtual) time since EPOCH, so a restarted
process sees the same channels, posts and counters; nothing is stored here but injected faults
and the record of requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from clock import Clock
from collector.gate import RequestGate
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
    ResolvedChannel,
    SourceDisconnected,
    SourcePost,
)
from sandbox.history import history_ids

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
ACCOUNT_ID = 777000123
DEFAULT_SESSION = "pulse.session"
CROWD = 250  # plain public channels pulse_c001..pulse_c250, for drills and benchmarks at scale
PUBLIC_CHANNELS = ("pulse_news", "pulse_tech", "pulse_markets")
PRIVATE_CHANNEL = "pulse_private"
USER_NAME = "pulse_person"  # resolves, but to a person, not a channel
ALIASES = {"pulsenews": "pulse_news"}  # a second username for the same channel (as after a rename)
# The kinds of request faults are injected by, and the Telegram methods they stand for.
METHODS = {
    "resolve": "contacts.ResolveUsername", "info": "channels.GetFullChannel",
    "history": "messages.GetHistory", "messages": "channels.GetMessages",
}
KINDS = tuple(METHODS)
CONNECT = "help.GetConfig"  # what a (re)connect sends, as the real client does
PAID = "paid"
EMOJI = ("👍", "🔥", "❤", "😁")
CUSTOM_EMOJI = "custom:5368324170671202286"


@dataclass(frozen=True)
class _Spec:
    username: str
    title: str
    tg_id: int
    period_minutes: int  # one message every this many minutes
    backlog_days: int  # how long before EPOCH the channel started
    subscribers: int  # at EPOCH
    growth_per_day: float
    private: bool = False


def _crowd(n: int) -> _Spec:
    """The n-th of the many plain public channels the multi-account drills and benchmarks add
    (`pulse_c001`...), each with its own pace, backlog and audience."""
    return _Spec(f"pulse_c{n:03d}", f"Pulse Crowd {n}", 1_900_001_000 + n, 30 + (n * 37) % 150,
                 20 + (n * 13) % 50, 1_000 + (n * 7_919) % 60_000, float((n * 11) % 40 - 10))


SPECS = {
    s.username: s
    for s in (
        _Spec("pulse_news", "Pulse News", 1_900_000_001, 45, 60, 48_000, 120.0),
        _Spec("pulse_tech", "Pulse Tech Digest", 1_900_000_002, 150, 90, 12_500, 35.0),
        _Spec("pulse_markets", "Pulse Markets", 1_900_000_003, 90, 40, 23_000, -8.0),
        _Spec(PRIVATE_CHANNEL, "Pulse Insiders", 1_900_000_004, 120, 30, 900, 1.0, private=True),
        *(_crowd(n) for n in range(1, CROWD + 1)),
    )
}


def crowd(count: int) -> tuple[str, ...]:
    """The usernames of the first `count` crowd channels."""
    if not 0 <= count <= CROWD:
        raise ValueError(f"the sandbox has {CROWD} crowd channels, not {count}")
    return tuple(_crowd(n).username for n in range(1, count + 1))


def sandbox_account(session: Path) -> int:
    """The sandbox user a session file is signed in as. The default file (`pulse.session`) is
    ACCOUNT_ID; any other name is an account of its own, as `login --session data/acc2.session`
    adds one in production. One file name in two folders is one account, as a session copied to a
    second machine is."""
    if session.name == DEFAULT_SESSION:
        return ACCOUNT_ID
    return ACCOUNT_ID + 1 + zlib.crc32(session.name.encode()) % 1_000_000


class SandboxTelegram:
    """A simulated MTProto side: channels, private and missing names, injected floods and disconnects."""

    def __init__(self, clock: Clock, seed: int = 7, latency: float = 0.0,
                 gate: RequestGate | None = None, account: int = ACCOUNT_ID) -> None:
        self.clock = clock
        self.account = account  # the user this client is signed in as
        self.gate = gate  # every request passes it, as every real one passes the client's
        self.seed = seed
        self.latency = latency  # real seconds each request takes (benchmarks); 0 in tests
        self.requests: list[tuple[str, datetime]] = []
        self._faults: dict[str, list[tuple[str, float]]] = {k: [] for k in KINDS}
        self._names: dict[str, str | None] = {}  # a channel's username at EPOCH -> its name now
        self._banned: set[str] = set()  # channels (by their name at EPOCH) this account is banned from

    def rename(self, username: str, new: str | None) -> None:
        """The channel called @username takes the name @new (None: it drops its public name, and
        this account, a member, can still read it). Posts and counters stay as they were."""
        spec = self._by_name().get(username.lower())
        if spec is None:
            raise ValueError(f"no sandbox channel is called @{username} now")
        self._names[spec.username] = new.lower() if new else None

    def ban(self, username: str) -> None:
        """This account is banned from @username: Telegram names it as ChannelForbidden when it is
        resolved, and answers CHANNEL_PRIVATE to anything else about it."""
        spec = self._by_name().get(username.lower())
        if spec is None:
            raise ValueError(f"no sandbox channel is called @{username} now")
        self._banned.add(spec.username)

    def inject_flood_wait(self, kind: str, seconds: int, times: int = 1) -> None:
        """The next `times` requests of `kind` fail with FloodWait(seconds)."""
        self._faults[self._kind(kind)] += [("flood", float(seconds))] * times

    def inject_disconnect(self, kind: str, times: int = 1) -> None:
        self._faults[self._kind(kind)] += [("disconnect", 0.0)] * times

    async def account_id(self) -> int | None:
        return self.account

    async def reconnect(self) -> None:
        await self._request(CONNECT)

    async def resolve(self, username: str) -> ResolvedChannel:
        await self._request("resolve")
        name = username.lower()
        if name == USER_NAME:
            raise ChannelUnavailable(f"@{name} is a person's account, not a channel", NOT_CHANNEL)
        spec = self._by_name().get(name)
        if spec is None:
            raise ChannelUnavailable(f"no channel is called @{name} (the username is not taken)", NOT_FOUND)
        if spec.username in self._banned:
            raise ChannelUnavailable(f"@{name} is not available to this account (banned from it)", BANNED)
        return ResolvedChannel(spec.tg_id, self._hash(spec), spec.title, self._name(spec) or name)

    async def get_info(self, channel: ChannelKey) -> ChannelInfo:
        await self._request("info")
        spec = self._open(channel)
        days = (self.clock.now() - EPOCH).total_seconds() / 86400
        wobble = 0.002 * spec.subscribers * math.sin(days * 1.3 + self.seed)
        subs = max(0, round(spec.subscribers + spec.growth_per_day * days + wobble))
        name = self._name(spec)
        aliases = tuple(a for a, of in ALIASES.items() if of == spec.username and name == spec.username)
        return ChannelInfo(spec.tg_id, spec.title, name, subs, aliases)

    async def get_history(
        self, channel: ChannelKey, limit: int, newer_than: int | None = None,
        older_than: int | None = None,
    ) -> HistoryPage:
        await self._request("history")
        spec = self._open(channel)
        now, latest = self.clock.now(), self._latest(spec)
        # The same request the Telethon adapter sends, answered as Telegram pages (sandbox/history.py):
        # `limit` counts service messages too, so a page may hold fewer posts than asked.
        if newer_than is not None:
            present = [i for i in range(latest, newer_than, -1) if not self._gone(spec, i, now)]
            page = history_ids(present, offset_id=newer_than + 1, add_offset=-limit, limit=limit)
        else:
            top = min(latest, (older_than or latest + 1) - 1)
            present = list(islice((i for i in range(top, 0, -1) if not self._gone(spec, i, now)), limit))
            page = history_ids(present, offset_id=older_than or 0, limit=limit)
        posts = [self._post(spec, i, now) for i in sorted(page)
                 if not self._is_service(spec, i) and (newer_than is None or i > newer_than)]
        oldest = min(page, default=None)
        # As the adapter judges it: nothing older came back, or message 1 did.
        at_start = newer_than is None and (oldest is None or oldest <= 1)
        return HistoryPage(tuple(posts), len(page), oldest, at_start)

    async def get_messages(self, channel: ChannelKey, ids: list[int]) -> list[SourcePost | None]:
        await self._request("messages")
        spec = self._open(channel)
        now, latest = self.clock.now(), self._latest(spec)
        return [
            None if i > latest or self._gone(spec, i, now) or self._is_service(spec, i)
            else self._post(spec, i, now)
            for i in ids
        ]

    # -- the simulated world ---------------------------------------------------------------

    def _name(self, spec: _Spec) -> str | None:
        return self._names.get(spec.username, spec.username)

    def _by_name(self) -> dict[str, _Spec]:
        """Every username taken now (a channel's second name only while it keeps its first)."""
        taken = {n: spec for spec in SPECS.values() if (n := self._name(spec)) is not None}
        for alias, of in ALIASES.items():
            if self._name(SPECS[of]) == of:
                taken.setdefault(alias, SPECS[of])
        return taken

    def date_of(self, spec: _Spec, message_id: int) -> datetime:
        return self._start(spec) + timedelta(minutes=spec.period_minutes * message_id)

    def _post(self, spec: _Spec, i: int, now: datetime) -> SourcePost:
        date = self.date_of(spec, i)
        age_h = max(0.0, (now - date).total_seconds() / 3600)
        peak = spec.subscribers * (0.15 + 0.5 * self._h(spec, i, "peak"))
        views = round(peak * (1 - math.exp(-age_h / 10)))
        reactions = {e: round(views * 0.02 * self._h(spec, i, e)) for e in EMOJI}
        reactions[CUSTOM_EMOJI] = round(views * 0.004 * self._h(spec, i, "custom"))
        paid = round(views * 0.002) if self._h(spec, i, PAID) < 0.15 else 0
        block = i // 3
        album = self._h(spec, block, "album") < 0.12
        edit_at = date + timedelta(minutes=5 + 115 * self._h(spec, i, "edit-at"))
        edited = self._h(spec, i, "edit") < 0.1 and now >= edit_at
        forward = self._h(spec, i, "fwd") < 0.08
        media = "photo" if album else ("video", None, "photo", "webpage", None)[i % 5]
        return SourcePost(
            message_id=i, date=date,
            text=f"{spec.title} #{i}" + (" (edited)" if edited else ""),
            media_kind=media, grouped_id=spec.tg_id * 10_000 + block if album else None,
            edit_date=edit_at if edited else None,
            forward_from="channel:1900000099" if forward else None,
            post_author="Editor" if i % 7 == 0 else None, views=views,
            forwards=round(views * 0.01 * self._h(spec, i, "fwds")),
            replies=round(views * 0.004 * self._h(spec, i, "replies")),
            reactions=sum(reactions.values()), paid_reactions=paid,
            reactions_json={k: v for k, v in reactions.items() if v},
        )

    def _gone(self, spec: _Spec, i: int, now: datetime) -> bool:
        """Deleted some hours after posting; from then on Telegram returns nothing for it."""
        if self._h(spec, i, "del") >= 0.05:
            return False
        return now >= self.date_of(spec, i) + timedelta(hours=1 + 71 * self._h(spec, i, "del-at"))

    def _is_service(self, spec: _Spec, i: int) -> bool:
        return self._h(spec, i, "service") < 0.04  # pins, photo changes: not posts

    def _latest(self, spec: _Spec) -> int:
        elapsed = (self.clock.now() - self._start(spec)).total_seconds() / 60
        return max(0, int(elapsed // spec.period_minutes))

    def _start(self, spec: _Spec) -> datetime:
        return EPOCH - timedelta(days=spec.backlog_days)

    def _h(self, spec: _Spec, i: int, salt: str) -> float:
        digest = hashlib.blake2b(f"{self.seed}:{spec.username}:{i}:{salt}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big") / 2**64

    def _hash(self, spec: _Spec) -> int:
        return int(self._h(spec, 0, "access_hash") * 2**62)

    def _open(self, key: ChannelKey) -> _Spec:
        for spec in SPECS.values():
            if spec.tg_id == key.tg_id:
                if key.access_hash != self._hash(spec):
                    raise ChannelInvalid(f"CHANNEL_INVALID for id {key.tg_id}")
                if spec.username in self._banned:
                    raise ChannelUnavailable(f"channel {key.tg_id} is private or this account is banned "
                                             "from it", PRIVATE)
                if spec.private:
                    raise ChannelUnavailable(
                        f"@{spec.username} is private: the account is not a member", PRIVATE
                    )
                return spec
        raise ChannelInvalid(f"CHANNEL_INVALID for id {key.tg_id}")

    async def _request(self, kind: str) -> None:
        method = METHODS.get(kind, kind)
        if self.gate is not None:
            if self.gate.account is None:
                await self.gate.bind(self.account)  # a signed-in session knows its account
            await self.gate.before_request(method)
        self.requests.append((kind, self.clock.now()))
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._faults.get(kind):
            fault, seconds = self._faults[kind].pop(0)
            if fault == "flood":
                if self.gate is not None:
                    await self.gate.flood_wait(method, seconds)
                raise FloodWait(seconds, method)
            raise SourceDisconnected(f"connection lost during {kind}")
        if self.gate is not None:
            self.gate.answered()

    def _kind(self, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown request kind {kind!r}; one of {', '.join(KINDS)}")
        return kind
