"""Time windows of a summary ("24h", "7d", "30d", "all") and the previous window of the same length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATIONS: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
WINDOW_NAMES = tuple(_DURATIONS)


@dataclass(frozen=True)
class Window:
    """A trailing window ending at `now`; `duration` None means everything ever collected."""

    name: str
    duration: timedelta | None

    @property
    def label(self) -> str:
        return {"24h": "last 24 hours", "7d": "last 7 days", "30d": "last 30 days", "all": "all time"}[
            self.name
        ]

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime]:
        """[start, end) of the window ending at `now`; start None for "all"."""
        return (None if self.duration is None else now - self.duration), now

    def previous_bounds(self, now: datetime) -> tuple[datetime, datetime] | None:
        """[start, end) of the window of the same length just before; None for "all"."""
        if self.duration is None:
            return None
        return now - 2 * self.duration, now - self.duration

    def read_days(
        self, now: datetime, first_post: datetime | None, history_from: datetime | None,
        last_collected: datetime,
    ) -> float | None:
        """Days of the window whose posts were read, for posts per day: from its start ("all": the
        first post), or the oldest stored post if later, to `now`, or the last collection if
        earlier. "all" counts at least one day; None when nothing of the window was read."""
        start, end = self.bounds(now)
        if start is None:
            if first_post is None:
                return None
            start = first_post
        if history_from is not None:
            start = max(start, history_from)
        span = (min(end, last_collected) - start) / timedelta(days=1)
        if self.duration is None:
            return max(span, 1.0)
        return span if span > 0 else None


def parse_window(text: str) -> Window:
    """"24h", "7d", "30d" or "all" (any case, spaces ignored); ValueError with one line otherwise."""
    name = (text or "").strip().lower()
    if name not in _DURATIONS:
        raise ValueError(f"unknown window {text!r}: use one of {', '.join(WINDOW_NAMES)}")
    return Window(name, _DURATIONS[name])
