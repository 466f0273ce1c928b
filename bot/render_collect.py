"""Replies about collection: /add_channel outcomes, /status, and the collector's notifications."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.render import esc, heading, human, when
from bot.render_channels import status_words
from collector.assignment import Handover, handover_lines
from collector.capacity import Load, describe_load
from collector.ledger import describe
from collector.records import CollectorState, EnqueueOutcome
from storage.models import Channel


def render_added(outcomes: Sequence[EnqueueOutcome], load: Load | None = None) -> str:
    lines = []
    queued = [o for o in outcomes if o.kind == "queued" and o.channel is not None]
    if queued:
        names = ", ".join(f"@{esc(o.channel.username)}" for o in queued if o.channel)
        lines.append(
            f"Queued: {names}. The first collection starts shortly; I will tell you when it is done."
        )
    for o in outcomes:
        if o.kind == "already" and o.channel is not None:
            lines.append(f"Already tracked: @{esc(o.channel.username)} — {status_words(o.channel)}")
        elif o.kind == "refused":
            lines.append(f"Refused: {esc(o.reason or o.text)}")
    if queued and load is not None and load.over:
        lines.append(
            f"Heads-up: {load.channels} channels every {load.interval_minutes} min is more than one "
            f"account can read at the report's pace (~{math.floor(load.capacity)} an hour), so each "
            f"will be collected about every {load.cycle_minutes():.0f} min."
        )
    return "\n".join(lines) or "Nothing to add."


def render_status(state: CollectorState, tz: str, now: datetime) -> str:
    if not state.collecting:
        lines = ["<b>Collector: idle</b>"]
    else:
        name = f"@{esc(state.channel)}" if state.channel else "the next channel"
        lines = [f"<b>Collector: collecting {name}</b>"]
        if state.message_index is not None and state.message_total is not None:
            lines.append(f"message {state.message_index} of {state.message_total}")
    if state.wait_seconds is not None and state.wait_layer is not None:
        until = f", {pause_end(state.wait_until, now, tz)}" if state.wait_until else ""
        lines.append(f"pausing {state.wait_seconds:.1f} s ({esc(state.wait_layer)} pause){until}")
    queue = f"{state.queue_length} channel(s) due"
    if state.queue_length and state.eta is not None:
        queue += f", done about {when(state.eta, tz)}"
    lines.append(queue)
    # The time a channel is really collected next (the job's first run at or after its due time).
    label = "after this run, next collection" if state.collecting else "next collection"
    lines.append(f"{label}: {when(state.next_collection, tz, never='none scheduled')}")
    if state.account is not None:
        lines.append(esc(describe(state.account)))
    else:
        lines.append(f"FloodWaits today: {state.flood_waits_today}")
    if state.load is not None:
        lines.append(esc(describe_load(state.load)))
    return "\n".join(lines)


def pause_end(until: datetime, now: datetime, tz: str) -> str:
    """"until 13:00:07 CET (3 s left)": pauses last seconds, so the minute alone says nothing."""
    left = max(0.0, (until - now).total_seconds())
    if left >= 3600:
        return f"until {when(until, tz)} ({left / 3600:.1f} h left)"
    local = until.astimezone(ZoneInfo(tz))
    span = f"{math.ceil(left)} s" if left < 60 else f"{left / 60:.0f} min"
    return f"until {local:%H:%M:%S} {local.tzname()} ({span} left)"


def first_collection_done(channel: Channel, posts_stored: int) -> str:
    return (
        f"First collection of {heading(channel)} is done: {human(posts_stored)} posts stored.\n"
        f"Try /stats @{esc(channel.username)} or /chart @{esc(channel.username)}"
    )


def channel_failed(channel: Channel, reason: str) -> str:
    return f"Could not collect {heading(channel)}: {esc(reason)}"


def flood_postponed(channel: Channel, seconds: float) -> str:
    return (
        f"Telegram asked the collector to wait {seconds:,.0f} s before reading {heading(channel)}; "
        "it was postponed to a later round, and the collector asks Telegram nothing until the wait is over."
    )


def account_stopped(reason: str, handover: Handover | None = None) -> str:
    lines = [f"⛔ Collection stopped: {esc(reason)}"]
    if handover is not None:
        lines += [esc(line) for line in handover_lines(handover)]
    return "\n".join(lines)


def alert(text: str) -> str:
    return f"⚠️ {esc(text)}"


def digests_paused(chat_id: int, count: int) -> str:
    return (
        f"Digests to chat {chat_id} are paused ({count}): the bot was blocked there or removed. "
        "Send /digest daily HH:MM in that chat to start them again."
    )


def digests_not_private(chat_id: int, count: int) -> str:
    return (
        f"Digests to chat {chat_id} are paused ({count}): digests go only to an admin's private chat, "
        "never to a group. Send /digest daily HH:MM to me in private to get them there."
    )
