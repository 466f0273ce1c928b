"""What the bot writes about digests: the digest itself, and the replies of /digest (a chat's
subscriptions and what a change did)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from analytics.records import DigestChannel, DigestContent
from analytics.service import status_note
from bot.digest.parse import WEEKDAYS
from bot.render import esc, heading, human, pct, signed, when
from bot.render_stats import link
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
    left_out = [f"@{esc(channels[cid].username)}" for cid in sub.excluded_ids if cid in channels]
    if not sub.channel_ids and left_out:
        covered += f" except {', '.join(left_out)}"
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


def _digest_channel(c: DigestChannel, tz: str) -> list[str]:
    name = heading(c)
    note = status_note(c.status, c.status_reason)
    if c.posts is None:
        if c.last_collected_at is not None:
            why = f"not collected since {when(c.last_collected_at, tz)}"
        else:
            why = "not collected yet" if c.status != "failed" else ""
        return [f"{name}: " + "; ".join(esc(x) for x in (why, note) if x)]
    if not c.posts:
        head = f"{name}: no new posts"
    else:
        views = f"{human(c.views)} views ({human(c.views_per_post)}/post)"
        head = f"{name}: {c.posts} posts, {views}, ERR {pct(c.err)}"
    change = "" if c.subscribers_change is None else f" ({signed(c.subscribers_change)})"
    lines = [f"{head}; {human(c.subscribers)} subscribers{change}"]
    if c.top_post is not None:
        p = c.top_post
        lines.append(f"   top: {link(p.link, p.excerpt or 'post')} ({human(p.views)} views)")
    if c.partial_from is not None:
        lines.append(f"   <i>posts read back to {when(c.partial_from, tz)} so far</i>")
    if note:
        lines.append(f"   <i>{esc(note)}: figures up to {when(c.last_collected_at, tz)}</i>")
    return lines


def render_digest(content: DigestContent, tz: str) -> str:
    head = f"<b>Digest</b> since {when(content.since, tz)}"
    if content.until is not None and content.until <= content.since:
        head += " (no posts read since then)"
    elif content.until is not None:
        # A scheduled digest stops where posts were last read; later ones come in the next digest.
        head += f" until {when(content.until, tz)} (posts read so far)"
    lines = [head]
    if not content.channels:
        return lines[0] + "\nNo channels tracked yet."
    for c in content.channels:
        lines += _digest_channel(c, tz)
    return "\n".join(lines)
