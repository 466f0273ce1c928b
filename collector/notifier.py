"""How the collector tells people what happened; the bot implements it, `collect` prints."""

from __future__ import annotations

from typing import Protocol, TextIO

from collector.assignment import Handover, handover_lines
from storage.models import Channel


class Notifier(Protocol):
    async def first_collection_done(self, channel: Channel, posts_stored: int) -> None: ...

    async def channel_failed(self, channel: Channel, reason: str) -> None: ...

    async def flood_wait_postponed(self, channel: Channel, seconds: float) -> None: ...

    async def account_stopped(self, reason: str, handover: Handover | None = None) -> None:
        """Telegram ended the collector account's session: collection on it stopped, and its channels
        went to the other accounts, or to none (`handover`); told once, in one message."""
        ...

    async def channel_collected(self, channel: Channel, run_id: int) -> None:
        """Called after every finished channel run (the app evaluates alerts here)."""
        ...


class ConsoleNotifier:
    """Prints one line per event; used by `python main.py collect` and until the bot is wired."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    def _say(self, line: str) -> None:
        print(line, file=self._out, flush=True)

    async def first_collection_done(self, channel: Channel, posts_stored: int) -> None:
        self._say(f"@{channel.username}: first collection done, {posts_stored} posts stored")

    async def channel_failed(self, channel: Channel, reason: str) -> None:
        self._say(f"@{channel.username}: failed: {reason}")

    async def flood_wait_postponed(self, channel: Channel, seconds: float) -> None:
        self._say(
            f"@{channel.username}: Telegram asked us to wait {seconds:.0f} s; postponed to a later round"
        )

    async def account_stopped(self, reason: str, handover: Handover | None = None) -> None:
        self._say("\n".join([f"collection stopped: {reason}",
                             *(handover_lines(handover) if handover else [])]))

    async def channel_collected(self, channel: Channel, run_id: int) -> None:
        return None
