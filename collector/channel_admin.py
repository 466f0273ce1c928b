"""What an admin's /add_channel, /pause, /resume and /remove_channel change in storage; the same for
the in-process `Collector` and for the `bot` role's `QueuedCollector`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.ledger import AccountLedger
from collector.records import EnqueueOutcome
from collector.refs import RefError, parse_ref
from storage.channels import ChannelRepo
from storage.db import write


async def add_channels(
    engine: AsyncEngine, clock: Clock, texts: list[str], added_by: int | None,
) -> list[EnqueueOutcome]:
    """Parse and store each reference as queued: no Telegram request (the collector resolves it)."""
    outcomes = []
    for text in texts:
        try:
            ref = parse_ref(text)
        except RefError as exc:
            outcomes.append(EnqueueOutcome(text, "refused", exc.reason))
            continue
        async with write(engine) as conn:
            channel, created = await ChannelRepo(conn).add(text.strip(), ref.username, added_by, clock.now())
        if created:
            outcomes.append(EnqueueOutcome(text, "queued", None, channel))
        else:
            why = f"already tracked ({channel.status}"
            why += f": {channel.status_reason})" if channel.status_reason else ")"
            outcomes.append(EnqueueOutcome(text, "already", why, channel))
    return outcomes


async def pause_channel(engine: AsyncEngine, channel_id: int) -> None:
    async with write(engine) as conn:
        await ChannelRepo(conn).update(channel_id, status="paused")


async def resume_channel(
    engine: AsyncEngine, clock: Clock, ledger: AccountLedger | None, channel_id: int,
) -> None:
    """Due now, its failures forgotten; resolving it is allowed anew (an admin's word)."""
    async with write(engine) as conn:
        channel = await ChannelRepo(conn).get(channel_id)
        if channel is None:
            return
        status = "active" if channel.tg_id is not None else "queued"
        await ChannelRepo(conn).update(channel_id, status=status, status_reason=None, status_kind=None,
                                       next_collection_at=clock.now(), unexpected_failures=0)
    if ledger is not None:
        await ledger.forget_resolves(channel_id)


async def remove_channel(engine: AsyncEngine, channel_id: int, keep_data: bool) -> None:
    """keep_data: stop collecting but keep everything (paused); otherwise forget it all."""
    async with write(engine) as conn:
        if keep_data:
            await ChannelRepo(conn).set_status(channel_id, "paused", "removed, data kept")
        else:
            await ChannelRepo(conn).remove(channel_id)
