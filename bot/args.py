"""Turning a command's arguments into a tracked channel, or one line telling the user why not."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.windows import WINDOW_NAMES, Window, parse_window
from bot.commands import usage
from bot.delivery import reply
from bot.refs import ChannelRef, RefError, parse_ref
from bot.render import esc
from bot.render_channels import not_tracked
from bot.tracking import find_channel
from storage.models import Channel

DEFAULT_WINDOW = "7d"


def _short(reason: str) -> str:
    """A refusal quotes what was typed; a pasted essay need not come back whole."""
    return reason if len(reason) <= 300 else reason[:300] + "…"


async def ref_arg(
    message: Message, command: CommandObject, words: int = 1
) -> tuple[ChannelRef, list[str]] | None:
    """The first argument as a channel reference and the rest (at most `words` in all), or None."""
    parts = (command.args or "").split()
    if not parts or len(parts) > words:
        await reply(message, usage(command.command))
        return None
    try:
        return parse_ref(parts[0]), parts[1:]
    except RefError as exc:
        await reply(message, f"{esc(_short(exc.reason))}\n{usage(command.command)}")
        return None


async def tracked(message: Message, engine: AsyncEngine, ref: ChannelRef) -> Channel | None:
    """The tracked channel `ref` names, or None after answering "not tracked"."""
    channel = await find_channel(engine, ref.username)
    if channel is None:
        await reply(message, not_tracked(ref.username))
    return channel


async def channel_arg(message: Message, command: CommandObject, engine: AsyncEngine) -> Channel | None:
    """The one tracked channel a command like /pause @x names."""
    parsed = await ref_arg(message, command)
    return None if parsed is None else await tracked(message, engine, parsed[0])


async def ref_and_window(
    message: Message, command: CommandObject, need_ref: bool
) -> tuple[ChannelRef | None, Window] | None:
    """`[<ref>] [24h|7d|30d|all]` in either order; None after a usage hint."""
    ref, window = None, parse_window(DEFAULT_WINDOW)
    words = (command.args or "").split()
    for word in words:
        if word.lower() in WINDOW_NAMES:
            window = parse_window(word)
            continue
        if ref is not None:
            await reply(message, usage(command.command))
            return None
        try:
            ref = parse_ref(word)
        except RefError as exc:
            await reply(message, f"{esc(_short(exc.reason))}\n{usage(command.command)}")
            return None
    if (need_ref and ref is None) or len(words) > 2:
        await reply(message, usage(command.command))
        return None
    return ref, window
