"""Digest subscriptions of a chat: subscribe, stop (all or some channels), list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.schedule import previous_slot
from bot.digest.parse import DigestSubscribe
from bot.refs import ChannelRef
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.digests import DigestRepo
from storage.models import Channel, DigestSubscription


class NotTrackedError(LookupError):
    def __init__(self, username: str) -> None:
        super().__init__(username)
        self.username = username


async def _channel_ids(repo: ChannelRepo, refs: Sequence[ChannelRef]) -> list[int]:
    ids = []
    for ref in refs:
        channel = await repo.get_by_username(ref.username)
        if channel is None:
            raise NotTrackedError(ref.username)
        ids.append(channel.id)
    return ids


async def subscribe(
    engine: AsyncEngine, chat_id: int, req: DigestSubscribe, now: datetime
) -> DigestSubscription:
    async with write(engine) as conn:
        ids = await _channel_ids(ChannelRepo(conn), req.refs)
        repo = DigestRepo(conn)
        sub = await repo.subscribe(
            chat_id, req.cadence, req.at_time, req.timezone, ids, now, weekday=req.weekday
        )
        if sub.last_slot_sent is None:
            # A new subscription starts with the next slot, not a "late" one from before it existed.
            slot = previous_slot(sub.cadence, sub.at_time, sub.timezone, sub.weekday, now)
            # ...and covers the posts since that slot, as if the slot had been sent.
            await repo.set_last_slot(sub.id, slot, slot)
            sub = replace(sub, last_slot_sent=slot, covered_until=slot)
        return sub


async def unsubscribe(
    engine: AsyncEngine, chat_id: int, refs: Sequence[ChannelRef]
) -> tuple[list[int], list[int]]:
    """Stop the chat's digests (or only these channels in them): ids of deleted and of narrowed ones."""
    async with write(engine) as conn:
        channels, digests = ChannelRepo(conn), DigestRepo(conn)
        subs = await digests.list(chat_id)
        if not refs:
            for sub in subs:
                await digests.delete(sub.id)
            return [sub.id for sub in subs], []
        drop = set(await _channel_ids(channels, refs))
        every = [c.id for c in await channels.list_all()]
        deleted, narrowed = [], []
        for sub in subs:
            covered = _covered(sub, every)
            left = [cid for cid in covered if cid not in drop]
            if left == covered:
                continue
            if not left:
                await digests.delete(sub.id)
                deleted.append(sub.id)
            elif sub.channel_ids:
                await digests.set_channels(sub.id, left)
                narrowed.append(sub.id)
            else:
                # Still "every tracked channel", so channels added later appear: only these are left out.
                await digests.set_excluded(sub.id, set(sub.excluded_ids) | drop)
                narrowed.append(sub.id)
        return deleted, narrowed


def _covered(sub: DigestSubscription, every: Sequence[int]) -> list[int]:
    """The channels a subscription covers today; no channel_ids means every tracked one but the excluded."""
    if sub.channel_ids:
        return list(sub.channel_ids)
    return [cid for cid in every if cid not in sub.excluded_ids]


async def covered_channels(engine: AsyncEngine, sub: DigestSubscription) -> list[int] | None:
    """What a digest of this subscription covers now: None means every tracked channel."""
    if sub.channel_ids or not sub.excluded_ids:
        return list(sub.channel_ids) or None
    async with read(engine) as conn:
        every = [c.id for c in await ChannelRepo(conn).list_all()]
    return _covered(sub, every)


async def chat_subscriptions(
    engine: AsyncEngine, chat_id: int
) -> tuple[list[DigestSubscription], dict[int, Channel]]:
    async with read(engine) as conn:
        subs = await DigestRepo(conn).list(chat_id)
        channels = {c.id: c for c in await ChannelRepo(conn).list_all()}
    return subs, channels


async def now_request(
    engine: AsyncEngine, chat_id: int, refs: Sequence[ChannelRef], now: datetime
) -> tuple[list[int] | None, datetime]:
    """What `/digest now` covers: the named channels (else this chat's subscriptions' channels, else
    all) since where this chat's last scheduled digest stopped, or the last 24 hours."""
    async with read(engine) as conn:
        ids = await _channel_ids(ChannelRepo(conn), refs)
        subs = await DigestRepo(conn).list(chat_id)
        every = [c.id for c in await ChannelRepo(conn).list_all()]
    if not ids and subs and all(s.channel_ids or s.excluded_ids for s in subs):
        ids = sorted({cid for s in subs for cid in _covered(s, every)})
    sent = [s.covered_until or s.last_slot_sent for s in subs]
    sent = [at for at in sent if at is not None]
    return (ids or None), max(sent, default=now - timedelta(days=1))
