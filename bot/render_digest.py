"""Replies of /digest: the chat's subscriptions and what a change did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.digest_args import WEEKDAYS
from bot.render import esc
from storage.models import Channel, DigestSubscription


def describe(sub: DigestSubscription, channels: Mapping[int, Channel]) -> str:
    when = (
        f"daily at {sub.at_time}"
        if sub.weekday is None
        else (f"weekly on {WEEKDAYS[sub.weekday].capitalize()} at {sub.at_time}")
    )
    covered = (
        "all tracked channels"
        if not sub.channel_ids
        else ", ".join(
            f"@{esc(channels[cid].username)}" if cid in channels else "(removed channel)"
            for cid in sub.channel_ids
        )
    )
    line = f"{when} ({esc(sub.timezone)}) — {covered}"
    if sub.paused:
        line += " — paused: the bot could not send here"
    return line


def render_subscriptions(subs: Sequence[DigestSubscription], channels: Mapping[int, Channel]) -> str:
    if not subs:
        return "No digests in this chat. Subscribe with /digest daily 09:00"
    lines = ["<b>Digests in this chat</b>"]
    lines += [f"• {describe(sub, channels)}" for sub in subs]
    lines.append("Stop them with /digest off; send one now with /digest now")
    return "\n".join(lines)


def subscribed(sub: DigestSubscription, channels: Mapping[int, Channel], next_send: str | None) -> str:
    text = f"Subscribed: {describe(sub, channels)}."
    return f"{text}\nNext digest: {next_send}" if next_send else text


def unsubscribed(deleted: int, narrowed: int, some_channels: bool) -> str:
    if deleted == 0 and narrowed == 0:
        return "This chat had no matching digests."
    if some_channels:
        return (
            f"Removed those channels from {deleted + narrowed} digest(s) of this chat"
            f"{f'; {deleted} had no channels left and stopped' if deleted else ''}."
        )
    return f"Stopped {deleted} digest(s) in this chat."
