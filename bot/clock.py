"""The clock the bot reads `now` from; the collector's clocks (real, scaled, virtual) all fit it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC wall time."""
        ...
