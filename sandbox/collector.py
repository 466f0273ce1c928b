"""A collector over the sandbox Telegram, composed as production composes it (the same gate and
account ledger), for tests, benchmarks and manual checks."""

from __future__ import annotations

import random

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock
from collector.gate import RequestGate
from collector.ledger import AccountLedger
from collector.notifier import ConsoleNotifier, Notifier
from collector.pacing import Pacer, PacingConfig
from collector.service import Collector
from sandbox.telegram import SandboxTelegram


def sandbox_collector(
    engine: AsyncEngine, clock: Clock, pacing: PacingConfig | None = None,
    notifier: Notifier | None = None, *, interval_minutes: int = 60, rng: random.Random | None = None,
    latency: float = 0.0,
) -> tuple[Collector, SandboxTelegram]:
    gate = RequestGate(Pacer(pacing or PacingConfig(), clock, rng), AccountLedger(engine, clock))
    source = SandboxTelegram(clock, latency=latency, gate=gate)
    collector = Collector(engine, source, gate, clock, notifier or ConsoleNotifier(), interval_minutes)
    return collector, source
