"""The clock the bot reads `now` from; the collector's clocks (real, scaled, virtual) all fit it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC wall time."""
        ...


class FixedClock:
    """A clock that says what it is told (tests, and replies about a chosen moment)."""

    def __init__(self, now: datetime) -> None:
        self.moment = now.astimezone(UTC)

    def now(self) -> datetime:
        return self.moment
