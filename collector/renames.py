"""A channel renamed on Telegram: follow the new name, free it from stale rows, tell people once."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from collector.source import ChannelInfo
from storage.alerts import AlertRepo
from storage.channels import ChannelRepo, public_username

log = logging.getLogger("collector.run")

RENAMED, UNNAMED = "renamed", "unnamed"  # alert kinds


async def follow_rename(
    conn: AsyncConnection, channel_id: int, info: ChannelInfo, run_id: int, now: datetime
) -> str | None:
    """Compare Telegram's username for the channel with the stored one; on a change store the new
    one and record its alert (in the caller's transaction, so it is recorded exactly once).
    Returns the alert kind recorded, if any."""
    repo = ChannelRepo(conn)
    channel = await repo.get(channel_id)
    if channel is None:
        return None
    old = public_username(channel.username)
    names = {n.lower() for n in (info.username, *info.aliases) if n}
    if not names:
        # No public name at all: private now, or reachable only by invite. Not a rename, and the
        # old name may now be anyone's; keep reading while this account still can.
        text = (f"{channel.display} no longer has a public username (it was @{old}): it is private "
                f"now or reachable only by an invite link, and t.me/{old} links no longer lead to it. "
                "Collection goes on while this account can still read it.")
        recorded = await AlertRepo(conn).record(f"{UNNAMED}:{channel.id}:{old}", UNNAMED, text, now,
                                                channel.id)
        if recorded:
            log.warning("@%s: the channel has no public username any more", old)
        return UNNAMED if recorded else None
    if channel.username in names:
        return None  # unchanged (or one of its several usernames)
    new = (info.username or sorted(names)[0]).lower()
    await repo.rename(channel.id, new)
    if new == old:
        return None  # its name was marked stale by another channel's rename, and it has it again
    text = (f"{channel.display} was renamed on Telegram: @{old} → @{new}. It is still collected (by "
            f"its id); links now use t.me/{new}, and t.me/{old} may now belong to someone else.")
    await AlertRepo(conn).record(f"{RENAMED}:{channel.id}:{run_id}", RENAMED, text, now, channel.id)
    log.warning("@%s was renamed to @%s on Telegram; following it", old, new)
    return RENAMED
