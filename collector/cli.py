"""`python main.py collect`: collection in the foreground with a live line showing the current pause."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.console import Console
from rich.live import Live
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.gate import RequestGate
from collector.job import schedule_collection
from collector.ledger import describe_block
from collector.notifier import ConsoleNotifier
from collector.records import CollectorState
from collector.service import Collector
from collector.source import ChannelSource

REFRESH = 0.25  # seconds between redraws of the progress line


def render_state(state: CollectorState) -> str:
    """One line: what the collector is doing and, during a pause, how long and which layer."""
    if not state.collecting:
        line = "idle"
        if state.next_run:
            line += f", next run at {state.next_run.astimezone(UTC):%H:%M:%S} UTC"
    else:
        line = f"collecting @{state.channel}" if state.channel else "collecting"
        if state.message_index is not None:
            line += f": message {state.message_index} of {state.message_total}"
        if state.wait_layer is not None and state.wait_seconds is not None:
            line += f", Rate limiting: {state.wait_layer} pause {state.wait_seconds:.1f} s"
    line += f"; {state.queue_length} due"
    if state.eta and state.queue_length:
        line += f", done about {state.eta.astimezone(UTC):%H:%M} UTC"
    if state.flood_waits_today:
        line += f"; FloodWaits today: {state.flood_waits_today}"
    return line


async def collect_foreground(
    collector: Collector, texts: list[str], once: bool, console: Console,
    scheduler: AsyncIOScheduler | None = None,
) -> int:
    if texts:
        for outcome in await collector.enqueue(texts, added_by=None):
            suffix = f": {outcome.reason}" if outcome.reason else ""
            console.print(f"{outcome.text}: {outcome.kind}{suffix}")
    with Live(Text(render_state(collector.state())), console=console, transient=False) as live:
        work = asyncio.ensure_future(collector.drain() if once else asyncio.Event().wait())
        try:
            while not work.done():
                live.update(Text(render_state(collector.state())))
                await asyncio.wait({work}, timeout=REFRESH)
        finally:
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            live.update(Text(render_state(collector.state())))
    return 0


def held_back(collector: Collector) -> int:
    """1, saying why, when the account may send nothing now (so the round collected nothing)."""
    if collector.outcomes.fatal is not None:
        print(f"collection stopped: {collector.outcomes.fatal}", file=sys.stderr)
        return 1
    if (block := collector.gate.blocked()) is not None:
        print(f"nothing collected: the Telegram account is {describe_block(block)}; `status` shows "
              "it, and `run` collects when it ends", file=sys.stderr)
        return 1
    return 0


async def run_collect(
    engine: AsyncEngine, source: ChannelSource, gate: RequestGate, clock: Clock, interval_minutes: int,
    texts: list[str], once: bool,
) -> int:
    """Collect in the foreground with the collector `run` builds (the same gate, ledger and retry
    policy over the same source), then stop it."""
    console = Console()
    collector = Collector(engine, source, gate, clock, ConsoleNotifier(), interval_minutes)
    if once:
        collector.wake_hook = lambda: None  # the foreground drain below does the work
        code = await collect_foreground(collector, texts, once, console)
        return held_back(collector) or code
    scheduler = AsyncIOScheduler(timezone=UTC)
    schedule_collection(scheduler, collector, interval_minutes)
    scheduler.start()
    try:
        return await collect_foreground(collector, texts, once, console, scheduler)
    finally:
        scheduler.shutdown(wait=False)
        await collector.aclose()
