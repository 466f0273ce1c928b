"""One channel's run: resolve once, read history under the layered delays, re-read counters, record it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.gate import RequestGate
from collector.ledger import describe_block
from collector.renames import follow_rename
from collector.reread import RECENT, plan_reread
from collector.source import (
    DUPLICATE,
    GONE,
    UNAVAILABLE,
    AccountBlocked,
    ChannelInvalid,
    ChannelKey,
    ChannelSource,
    ChannelUnavailable,
    FloodWait,
    HistoryPage,
    SourceDisconnected,
    SourceError,
    SourcePost,
)
from storage.channels import STALE, ChannelRepo, public_username
from storage.db import write
from storage.models import Channel, CounterSnapshot, Post
from storage.posts import PostRepo
from storage.subscribers import SubscriberRepo

log = logging.getLogger("collector.run")
T = TypeVar("T")

# The retry budget of one logical request: at most MAX_ATTEMPTS wire requests whatever failed
# (the gate turns the fifth FloodWait in a row into a block of the account), and after a dropped
# connection a repeat only after each of DROP_BACKOFF's pauses and a reconnect.
MAX_ATTEMPTS = 5
DROP_BACKOFF = (2.0, 5.0)
# Resolves of one channel by one account until an admin /resume-s it (or adds it again): the first,
# one more after CHANNEL_INVALID, and one spare for an attempt that failed on the way.
MAX_RESOLVES = 3
RESOLVE = "contacts.ResolveUsername"


class FloodPostponed(AccountBlocked):
    """This run met a FloodWait that blocks the account (too long, or one too many in a row)."""

    def __init__(self, seconds: float, reason: str, until: datetime) -> None:
        super().__init__(reason, until)
        self.seconds = seconds


class Stopped(Exception):
    """The channel was paused or removed while its run was in progress."""


@dataclass
class Tally:
    """What the run did so far (mutable while the run is in hand, frozen into RunResult after)."""

    fetched: int = 0
    new: int = 0
    updated: int = 0
    flood_waits: int = 0
    flood_wait_seconds: float = 0.0


GONE_REASON = "Telegram no longer accepts this channel, even after resolving it again"


class ChannelRunner:
    """Does the Telegram side and the per-post storage of one channel's run."""

    def __init__(
        self, engine: AsyncEngine, source: ChannelSource, gate: RequestGate, clock: Clock,
        should_stop: Callable[[int], bool],
        on_progress: Callable[[int, int], None],
    ) -> None:
        self.engine, self.source, self.gate, self.clock = engine, source, gate, clock
        self.pacer = gate.pacer
        self.config = gate.config
        self._should_stop = should_stop
        self._on_progress = on_progress

    async def collect(self, channel: Channel, run_id: int, tally: Tally) -> Channel:
        """Collect `channel`; returns it as stored afterwards. Raises the source's errors."""
        key = await self._key(channel, tally)
        try:
            return await self._collect(channel.id, key, run_id, tally)
        except ChannelInvalid:
            # Read the channel as stored: a first run has just resolved, so the passed copy says 0,
            # and a rename of another channel may have marked this one's name stale meanwhile.
            fresh = await self._reload(channel.id)
            if fresh.resolve_count >= 2:
                raise ChannelUnavailable(GONE_REASON, GONE) from None
            log.warning("@%s: stored access hash rejected; resolving once more", channel.username)
            key = await self._resolve(fresh, tally)
            try:
                return await self._collect(channel.id, key, run_id, tally)
            except ChannelInvalid:
                raise ChannelUnavailable(GONE_REASON, GONE) from None

    async def _key(self, channel: Channel, tally: Tally) -> ChannelKey:
        # An access hash is valid for the account that resolved it only.
        mine = channel.resolved_by is None or self.gate.account in (None, channel.resolved_by)
        if channel.tg_id is not None and channel.access_hash is not None and mine:
            return ChannelKey(channel.tg_id, channel.access_hash)
        return await self._resolve(channel, tally)

    async def _resolve(self, channel: Channel, tally: Tally) -> ChannelKey:
        if STALE in channel.username:
            # Its old name now belongs to another tracked channel: asking Telegram for "name~id"
            # would only fail as "not found", and the old name would find the other channel.
            raise ChannelUnavailable(
                f"@{public_username(channel.username)} was renamed and Telegram rejected its stored "
                "access; add it again by its new name", GONE)
        account = await self.source.account_id()
        ledger = self.gate.ledger
        if ledger is not None and account is not None:
            if await ledger.resolves(account, channel.id) >= MAX_RESOLVES:
                raise ChannelUnavailable(
                    f"@{channel.username} was resolved {MAX_RESOLVES} times by this account already, "
                    "and resolving is what Telegram limits hardest; /resume it to try once more",
                    UNAVAILABLE)
        # Counted as Telegram saw them: only a ResolveUsername the gate let through is a resolve.
        before = self.gate.sent_by_method[RESOLVE]
        outcome = "ok"
        try:
            resolved = await self.call("resolve", lambda: self.source.resolve(channel.username), tally)
        except Exception as exc:
            outcome = getattr(exc, "kind", None) or type(exc).__name__
            raise
        finally:
            if ledger is not None and account is not None and self.gate.sent_by_method[RESOLVE] > before:
                await ledger.resolved(account, channel.id, channel.username, outcome)
        async with write(self.engine) as conn:
            # Resolving is rare, so a full scan is fine; two names for one channel (a rename, or
            # t.me links typed two ways) must not become two rows fighting over one tg_id.
            twin = next((c for c in await ChannelRepo(conn).list_all()
                         if c.tg_id == resolved.tg_id and c.id != channel.id), None)
            if twin is not None:
                raise ChannelUnavailable(f"@{channel.username} is the channel already tracked as "
                                         f"@{twin.username}", DUPLICATE)
            await ChannelRepo(conn).set_resolved(
                channel.id, resolved.tg_id, resolved.access_hash, resolved.title, account
            )
        return resolved.key

    async def _collect(self, channel_id: int, key: ChannelKey, run_id: int, tally: Tally) -> Channel:
        channel = await self._reload(channel_id)
        fetched_ids = await self._read_history(channel, key, run_id, tally)
        await self._reread(await self._reload(channel_id), key, run_id, fetched_ids, tally)
        info = await self.call("info", lambda: self.source.get_info(key), tally)
        self._check_stop(channel_id)
        now = self.clock.now()
        async with write(self.engine) as conn:
            await SubscriberRepo(conn).add(channel_id, run_id, now, info.subscribers)
            await ChannelRepo(conn).update(channel_id, title=info.title or channel.title)
            # Collection goes by id, so a rename on Telegram changes nothing here but the name
            # every link is made of.
            await follow_rename(conn, channel_id, info, run_id, now)
        return await self._reload(channel_id)

    async def _read_history(self, channel: Channel, key: ChannelKey, run_id: int, tally: Tally) -> set[int]:
        """Newest posts first time; later, the posts after the newest stored one, oldest first, and
        with whatever room the per-run limit leaves, older posts until the backfill window is covered
        or Telegram shows the channel's first message was reached."""
        limit = self.config.history_limit
        newest = channel.newest_message_id
        first = newest is None
        if first:
            page = await self.call("history", lambda: self.source.get_history(key, limit), tally)
        else:
            page = await self.call(
                "history", lambda: self.source.get_history(key, limit, newer_than=newest), tally
            )
        posts = list(page.posts)[:limit]
        # The limit counts messages, as Telegram does: service messages use up room too.
        room = limit - max(page.returned, len(posts))
        # Older pages start below the oldest message read so far, service messages included, so a
        # page of nothing but service messages is passed, not asked for again.
        cursor = page.oldest_id if first else channel.oldest_message_id
        # A first page shorter than asked may or may not reach the channel's first message (Telegram
        # can return fewer mid-history): one older request right away tells.
        want_older = (not page.at_start and page.returned < limit) if first else not channel.backfill_done
        older_page: HistoryPage | None = None
        if want_older and room > 0 and cursor is not None:
            older_page = await self.call(
                "history", lambda: self.source.get_history(key, room, older_than=cursor), tally
            )
        older = list(older_page.posts)[-room:] if older_page is not None else []
        # Backfill goes newest to oldest so the stored "oldest" only ever moves down: a run cut short
        # never leaves a hole behind it.
        ordered = posts + list(reversed(older))
        for post in ordered:
            self._check_stop(channel.id)
            k = await self.pacer.before_message()
            self._check_stop(channel.id)  # paused or removed during that pause
            self._on_progress(k, len(ordered))
            await self._store(channel.id, post, run_id, tally)
        if older_page is not None:
            await self._backfilled(channel.id, older_page, room)
        elif first:
            await self._backfilled(channel.id, page, limit)
        return {p.message_id for p in ordered}

    async def _backfilled(self, channel_id: int, page: HistoryPage, asked: int) -> None:
        """After a page reaching back (the first, or a backfill page): move the cursor below it, and
        end the backfill when Telegram shows nothing older exists, or when a full page reached past
        MTPROTO_BACKFILL_DAYS (a short one may be near the start: the next run asks once more)."""
        cutoff = self.clock.now() - timedelta(days=self.config.backfill_days)
        values: dict[str, object] = {}
        if page.at_start:
            # Every post the channel published is stored, so analytics may count a window before
            # the oldest one as empty instead of unread.
            values = {"backfill_done": True, "history_complete": True}
        elif page.returned >= asked and page.posts and page.posts[0].date < cutoff:
            values = {"backfill_done": True}
        if self.config.backfill_days == 0:
            values.setdefault("backfill_done", True)
        async with write(self.engine) as conn:
            stored = await ChannelRepo(conn).get(channel_id)
            if stored is None:
                return
            if page.oldest_id is not None:
                values["oldest_message_id"] = min(page.oldest_id, stored.oldest_message_id or page.oldest_id)
            if values:
                await ChannelRepo(conn).update(channel_id, **values)

    async def _store(self, channel_id: int, post: SourcePost, run_id: int, tally: Tally) -> None:
        now = self.clock.now()
        async with write(self.engine) as conn:
            created = await PostRepo(conn).upsert(_post(channel_id, post), now)
            await PostRepo(conn).add_snapshot(_snapshot(channel_id, post, run_id, now))
            stored = await ChannelRepo(conn).get(channel_id)
            assert stored is not None
            await ChannelRepo(conn).update(
                channel_id,
                newest_message_id=max(post.message_id, stored.newest_message_id or 0),
                oldest_message_id=min(post.message_id, stored.oldest_message_id or post.message_id),
            )
        tally.fetched += 1
        tally.new += created
        tally.updated += not created

    async def _reread(
        self, channel: Channel, key: ChannelKey, run_id: int, skip: set[int], tally: Tally
    ) -> None:
        """Counter snapshots for recent posts: several requests of ≤ 100 ids, each through the gate."""
        now = self.clock.now()
        async with write(self.engine) as conn:
            recent = await PostRepo(conn).recent_reads(channel.id, now - RECENT)
        batches = plan_reread(recent, now, skip)
        for number, ids in enumerate(batches, 1):
            self._check_stop(channel.id)
            found = await self.call("messages", lambda ids=ids: self.source.get_messages(key, ids), tally)
            log.info("@%s: counters re-read, request %d of %d (%d posts)", channel.username, number,
                     len(batches), len(ids))
            now = self.clock.now()
            # Stored per request, so a run stopped between requests keeps what it read.
            async with write(self.engine) as conn:
                repo = PostRepo(conn)
                for message_id, post in zip(ids, found, strict=True):
                    if post is None:
                        await repo.mark_deleted(channel.id, message_id, now)
                        continue
                    await repo.update_counters(
                        channel.id, message_id, post.counters, now,
                        text=post.text, edit_date=post.edit_date, media_kind=post.media_kind,
                    )
                    await repo.add_snapshot(_snapshot(channel.id, post, run_id, now))
                    tally.updated += 1

    async def call(self, kind: str, fn: Callable[[], Awaitable[T]], tally: Tally) -> T:
        """One logical request within its retry budget. The gate (inside the source) paces every
        wire attempt and waits out a FloodWait before the repeat; a FloodWait that blocks the
        account ends the run (FloodPostponed); a dropped connection is repeated after a back-off
        and a reconnect, twice at most."""
        drops = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await fn()
            except FloodWait as exc:
                tally.flood_waits += 1
                tally.flood_wait_seconds += exc.seconds
                if (block := self.gate.blocked()) is not None:
                    raise FloodPostponed(exc.seconds, describe_block(block), block.until) from None
            except SourceDisconnected as exc:
                if drops == len(DROP_BACKOFF) or attempt == MAX_ATTEMPTS:
                    raise
                log.warning("%s: %s; repeating it after %g s (repeat %d of %d)", kind, exc,
                            DROP_BACKOFF[drops], drops + 1, len(DROP_BACKOFF))
                await self.pacer.backoff(DROP_BACKOFF[drops], kind)
                drops += 1
                try:
                    await self.source.reconnect()
                except SourceError as again:
                    log.warning("reconnecting failed: %s", again)  # the repeat tries once more
        raise SourceDisconnected(f"{kind}: no answer after {MAX_ATTEMPTS} attempts")

    async def _reload(self, channel_id: int) -> Channel:
        async with write(self.engine) as conn:
            channel = await ChannelRepo(conn).get(channel_id)
        if channel is None:
            raise Stopped()
        return channel

    def _check_stop(self, channel_id: int) -> None:
        if self._should_stop(channel_id):
            raise Stopped()


def _post(channel_id: int, p: SourcePost) -> Post:
    return Post(
        channel_id=channel_id, message_id=p.message_id, date=p.date, text=p.text,
        media_kind=p.media_kind, grouped_id=p.grouped_id, edit_date=p.edit_date,
        forward_from=p.forward_from, post_author=p.post_author, views=p.views, forwards=p.forwards,
        replies=p.replies, reactions=p.reactions, paid_reactions=p.paid_reactions,
        reactions_json=dict(p.reactions_json) if p.reactions_json is not None else None,
    )


def _snapshot(channel_id: int, p: SourcePost, run_id: int, now: object) -> CounterSnapshot:
    c = p.counters
    return CounterSnapshot(
        channel_id=channel_id, message_id=p.message_id, run_id=run_id, taken_at=now,  # type: ignore[arg-type]
        views=c.views, forwards=c.forwards, replies=c.replies, reactions=c.reactions,
        paid_reactions=c.paid_reactions, reactions_json=c.reactions_json,
    )
