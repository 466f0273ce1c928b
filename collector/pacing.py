"""The report's layered delays and the request gate: every wait the collector makes is decided here."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clock import Clock

log = logging.getLogger("collector.pacing")

# "backoff": the pause before repeating a request whose connection dropped (not a report layer, but
# time the run spent waiting all the same).
LAYERS = ("message", "batch", "extended", "channel", "request_gap", "flood_wait", "backoff")


@dataclass(frozen=True)
class PacingConfig:
    """The pacing policy. Its defaults are the report's values: the settings' defaults and the safe
    limits the settings refuse to cross without MTPROTO_UNSAFE_OVERRIDE both come from here."""

    message_delay: float = 0.5
    batch_every: int = 5
    batch_pause: float = 3.0
    extended_every: int = 20
    extended_pause: float = 10.0
    channel_delay: float = 8.0
    request_gap: float = 1.0
    history_limit: int = 50
    max_flood_wait: float = 3600.0
    backfill_days: int = 30
    flood_jitter: float = 1.0  # a FloodWait is obeyed for its seconds plus [0, flood_jitter) more

    @classmethod
    def from_settings(cls, settings: Any) -> PacingConfig:
        return cls(**{knob: getattr(settings, name) for knob, name in SETTING_OF.items()})

    def gap_after(self, k: int) -> tuple[tuple[str, float], ...]:
        """The layers that separate history message k from k+1 (k counts from 1); they add up."""
        parts = [("message", self.message_delay)]
        if k % self.batch_every == 0:
            parts.append(("batch", self.batch_pause))
        if k % self.extended_every == 0:
            parts.append(("extended", self.extended_pause))
        return tuple(parts)

    def channel_seconds(self, messages: int) -> float:
        """The policy's total pause within one channel's run of `messages` history messages."""
        return sum(s for k in range(1, messages) for _, s in self.gap_after(k))


REPORT_POLICY = PacingConfig()

# Each knob's setting (its environment variable, upper-cased).
SETTING_OF: dict[str, str] = {
    "message_delay": "mtproto_message_delay",
    "batch_every": "mtproto_batch_every",
    "batch_pause": "mtproto_batch_pause",
    "extended_every": "mtproto_extended_every",
    "extended_pause": "mtproto_extended_pause",
    "channel_delay": "mtproto_channel_delay",
    "request_gap": "mtproto_request_gap",
    "history_limit": "mtproto_history_limit_per_run",
    "max_flood_wait": "mtproto_max_flood_wait",
    "backfill_days": "mtproto_backfill_days",
}

# The knobs with a safe limit, the report's value: "min" means a smaller value is faster than the
# report allows, "max" that a larger one is.
SAFE_DIRECTION: dict[str, str] = {
    "history_limit": "max",
    "message_delay": "min",
    "batch_pause": "min",
    "extended_pause": "min",
    "channel_delay": "min",
    "request_gap": "min",
    "batch_every": "max",
    "extended_every": "max",
}


@dataclass(frozen=True)
class Wait:
    """A pause in progress: its main layer, length, end, the layers it is made of, and what it
    separates ("after message 20", "before next channel")."""

    layer: str
    seconds: float
    until: datetime
    parts: tuple[tuple[str, float], ...]
    why: str = ""

    def describe(self) -> str:
        """The pause as the log and the demo's timeline tell it."""
        detail = " + ".join(f"{n} {s:g}" for n, s in self.parts)
        return f"{self.layer} pause {self.seconds:.2f} s {self.why} ({detail})"


@dataclass(frozen=True)
class RunEnded:
    """A channel's run is over, however it ended (collected, failed, stopped): none of its pauses
    comes after this."""

    channel: str


PacingEvent = Wait | RunEnded


class Pacer:
    """Sleeps until deadlines measured start to start, so work done counts toward the next gap."""

    def __init__(
        self, config: PacingConfig, clock: Clock, rng: random.Random | None = None,
        on_event: Callable[[PacingEvent], None] | None = None,
    ) -> None:
        """`on_event` hears each pause as it begins and each channel's run as it ends (the demo's
        timeline is drawn from them)."""
        self.config = config
        self.clock = clock
        self._rng = rng or random.Random()
        self._on_event = on_event
        self._last_request: float | None = None
        self._last_message: float | None = None
        self._channel_end: float | None = None
        self._k = 0
        self._channel = ""
        self.current: Wait | None = None
        self.totals: dict[str, float] = dict.fromkeys(LAYERS, 0.0)

    def start_channel(self, channel: str) -> None:
        """The message count (and the per-layer totals of the run record) restart with each channel."""
        self._channel = channel
        self._k = 0
        self._last_message = None
        self.totals = dict.fromkeys(LAYERS, 0.0)

    def end_channel(self) -> None:
        self._channel_end = self.clock.monotonic()
        if self._on_event:
            self._on_event(RunEnded(self._channel))

    def channel_seen(self, seconds_ago: float) -> None:
        """Another process of the account sent its last request of a channel `seconds_ago`: the next
        channel here keeps the pause between channels from it too."""
        at = self.clock.monotonic() - max(0.0, seconds_ago)
        if self._channel_end is None or at > self._channel_end:
            self._channel_end = at

    async def before_channel(self) -> None:
        """CHANNEL_DELAY from the end of the previous channel to the first request of this one."""
        if self._channel_end is not None:
            delay = self.config.channel_delay
            await self._sleep_until(self._channel_end + delay, (("channel", delay),), "before next channel")

    async def before_request(self, kind: str) -> None:
        """REQUEST_GAP between the starts of any two requests; pauses already taken count. Only the
        request gate (collector/gate.py) calls it."""
        if self._last_request is not None:
            gap = self.config.request_gap
            await self._sleep_until(self._last_request + gap, (("request_gap", gap),), f"before {kind}")
        self._last_request = self.clock.monotonic()

    def request_seen(self, seconds_ago: float) -> None:
        """A request another process (or this one, before a restart) sent `seconds_ago`: the next
        one keeps the gap from it too."""
        at = self.clock.monotonic() - max(0.0, seconds_ago)
        if self._last_request is None or at > self._last_request:
            self._last_request = at

    async def before_message(self) -> int:
        """Wait the layered gap after the previous history message; returns this message's number."""
        if self._k > 0 and self._last_message is not None:
            parts = self.config.gap_after(self._k)
            deadline = self._last_message + sum(s for _, s in parts)
            await self._sleep_until(deadline, parts, f"after message {self._k}")
        self._last_message = self.clock.monotonic()
        self._k += 1
        return self._k

    def jitter(self) -> float:
        """What a FloodWait is obeyed for beyond Telegram's seconds: [0, flood_jitter), never less."""
        return self._rng.uniform(0.0, self.config.flood_jitter)

    async def obey(self, seconds: float, request: str) -> None:
        """Sit out the rest of a FloodWait on `request` before sending it again."""
        await self._sleep_until(
            self.clock.monotonic() + seconds, (("flood_wait", seconds),), f"FloodWait before {request}"
        )

    async def backoff(self, seconds: float, request: str) -> None:
        """Wait before repeating a request whose connection dropped."""
        await self._sleep_until(self.clock.monotonic() + seconds, (("backoff", seconds),),
                                f"before repeating {request} (connection lost)")

    async def _sleep_until(self, deadline: float, parts: tuple[tuple[str, float], ...], why: str) -> None:
        remaining = deadline - self.clock.monotonic()
        if remaining <= 0:
            return
        nominal = sum(s for _, s in parts) or remaining
        for name, secs in parts:
            # Time already spent working shrinks each layer in proportion.
            self.totals[name] += secs * remaining / nominal
        layer = max(parts, key=lambda p: p[1])[0]
        wait = Wait(layer, remaining, self.clock.now() + timedelta(seconds=remaining), parts, why)
        log.info("Rate limiting: %s", wait.describe())
        self.current = wait
        if self._on_event:
            self._on_event(wait)
        try:
            await self.clock.sleep(remaining)
        finally:
            self.current = None
