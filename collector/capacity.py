"""What one account can collect under the pacing policy, and whether the tracked channels fit it.

A full channel run at the report's pace is 71.5 s of message pauses (50 messages), 8 s between
channels and a few request gaps that no message pause covers (the re-reads and the full channel
after the last message): about 83.5 s, so about 43 channel runs an hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector.pacing import PacingConfig

UNCOVERED_GAPS = 4  # request gaps per run that no other pause overlaps, on a typical later run


def run_seconds(config: PacingConfig) -> float:
    """One full channel run at the policy's pace, the channel delay before it included."""
    return (config.channel_seconds(config.history_limit) + config.channel_delay
            + UNCOVERED_GAPS * config.request_gap)


@dataclass(frozen=True)
class Load:
    channels: int  # channels collected every interval
    interval_minutes: int
    capacity: float  # channel runs one account can make in an hour

    @property
    def demand(self) -> float:
        """Channel runs an hour the tracked channels ask for."""
        return self.channels * 60 / self.interval_minutes

    @property
    def over(self) -> bool:
        return self.demand > self.capacity

    def cycle_minutes(self) -> float:
        """How often each channel is really collected when the account is the limit."""
        return max(self.interval_minutes, self.channels * 60 / self.capacity)


def load_of(config: PacingConfig, channels: int, interval_minutes: int) -> Load:
    return Load(channels, interval_minutes, 3600 / run_seconds(config))


def describe_load(load: Load) -> str:
    """"load: 38 of ~43 channel runs per hour" (and what happens past it)."""
    whole = load.demand >= 10 or load.demand.is_integer()
    demand = f"{load.demand:.0f}" if whole else f"{load.demand:.1f}"
    line = f"load: {demand} of ~{math.floor(load.capacity)} channel runs per hour"
    if load.over:
        line += (f"; more than one account can read, so each channel is collected about every "
                 f"{load.cycle_minutes():.0f} min instead of every {load.interval_minutes} min")
    return line
