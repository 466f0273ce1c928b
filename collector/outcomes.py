"""What the end of a channel's run means, by the class of what ended it: for the channel (failed,
due again later), for the account (blocked, stopped) and for the people told. The collector's
error taxonomy in one place (README "Pacing and what protects the account")."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.assignment import Assigner
from collector.channel_run import FloodPostponed, Stopped
from collector.gate import RequestGate
from collector.ledger import describe_block
from collector.notifier import Notifier
from collector.source import (
    UNAVAILABLE,
    AccountBlocked,
    AccountFatal,
    ChannelUnavailable,
    RunBudgetSpent,
    SourceDisconnected,
)
from storage.channels import ChannelRepo
from storage.db import is_locked, read, write
from storage.models import Channel

log = logging.getLogger("collector")

# An error nobody foresaw is retried in this many later rounds, each after twice the wait of the one
# before (one interval, two, four), then the channel fails naming it.
UNEXPECTED_RETRIES = 3


class RunOutcomes:
    def __init__(self, engine: AsyncEngine, gate: RequestGate, clock: Clock, notifier: Notifier,
                 assigner: Assigner) -> None:
        self.engine, self.gate, self.clock, self.notifier = engine, gate, clock, notifier
        self.assigner = assigner
        self.fatal: str | None = None  # why the account may send nothing more, once known

    async def held_back(self, wake_at: Callable[[datetime], None] | None) -> bool:
        """True when the account may send nothing now: a block of the whole account is in force
        (`wake_at` its end), or Telegram ended its session (nothing is sent until a new log-in)."""
        if self.fatal is None and self.gate.ledger is not None and self.gate.account is not None:
            record = await self.gate.ledger.fatal(self.gate.account)
            self.fatal = record.fatal_reason if record else None
        if self.fatal is not None:
            log.warning("collection stopped: %s", self.fatal)
            return True
        if (block := self.gate.blocked()) is not None:
            log.warning("Rate limiting: %s; skipping this round, collecting again when it ends",
                        describe_block(block))
            if wake_at is not None:
                wake_at(block.until)
            return True
        return False

    async def settle(self, channel: Channel, exc: Exception, interval: timedelta) -> str:
        """Do what the class of `exc` asks for; the run's error line."""
        if isinstance(exc, ChannelUnavailable):
            await self.failed(channel, exc.reason, exc.kind)
            return exc.reason
        if isinstance(exc, AccountBlocked):
            # Stored on the channels too, so `status` and /channels show when they come next.
            async with write(self.engine) as conn:
                await ChannelRepo(conn).postpone_all(exc.until, self.gate.account)
            if isinstance(exc, FloodPostponed):  # news: this run met the wait
                await self.notifier.flood_wait_postponed(channel, exc.seconds)
            return str(exc)
        if isinstance(exc, AccountFatal):
            await self._stop_account(exc)
            return f"collection stopped: {exc.reason}"
        if isinstance(exc, SourceDisconnected | RunBudgetSpent):
            # Stays due; the next round (or wake) repeats it, and its stored posts are kept.
            error = f"disconnected from Telegram: {exc}" if isinstance(exc, SourceDisconnected) else str(exc)
            log.warning("@%s: %s", channel.username, error)
            return error
        if isinstance(exc, Stopped):
            return "stopped: the channel was paused or removed during its run"
        if is_locked(exc):
            # The database stayed busy past every retry (a backup, another process): nothing is
            # wrong with the channel, which stays due for the next round.
            log.warning("@%s: the database stayed busy; the channel is collected next round",
                        channel.username)
            return "the database stayed busy; collected next round"
        # One broken channel must not starve the queue: record why, retry it a few rounds.
        error = f"unexpected error: {type(exc).__name__}: {exc}"
        log.error("@%s: run failed", channel.username, exc_info=exc)
        await self._unexpected(channel, error, interval)
        return error

    async def failed(self, channel: Channel, reason: str, kind: str) -> None:
        await self._set(channel.id, status="failed", status_reason=reason, status_kind=kind,
                        unexpected_failures=0)
        await self.notifier.channel_failed(channel, reason)

    async def _unexpected(self, channel: Channel, error: str, interval: timedelta) -> None:
        async with read(self.engine) as conn:
            stored = await ChannelRepo(conn).get(channel.id)
        failures = (stored.unexpected_failures if stored else 0) + 1
        if failures > UNEXPECTED_RETRIES:
            await self.failed(channel, f"{error} (it failed {failures} runs in a row)", UNAVAILABLE)
            return
        later = self.clock.now() + interval * 2 ** (failures - 1)
        log.warning("@%s: retried in a later round (%d of %d), not before %s", channel.username,
                    failures, UNEXPECTED_RETRIES, f"{later:%Y-%m-%d %H:%M} UTC")
        await self._set(channel.id, next_collection_at=later, unexpected_failures=failures)

    async def _stop_account(self, exc: AccountFatal) -> None:
        """Telegram ended the account's session: nothing more is sent on it, its channels go to the
        other live accounts, and admins hear both once, in one message."""
        self.fatal = exc.reason
        news, handover = True, None
        if self.gate.ledger is not None and self.gate.account is not None:
            news = await self.gate.ledger.set_fatal(self.gate.account, exc.kind, exc.reason)
            if news:
                handover = await self.assigner.hand_over(self.gate.account)
        log.error("collection stopped: %s", exc.reason)
        if handover is not None and handover.moved:
            log.warning("its %d channel(s) went to the other accounts: %s", len(handover.moved),
                        ", ".join(f"@{m.username} to {m.account.account_id}" for m in handover.moved))
        if news:
            await self.notifier.account_stopped(exc.reason, handover)

    async def _set(self, channel_id: int, **values: object) -> None:
        async with write(self.engine) as conn:
            await ChannelRepo(conn).update(channel_id, **values)
