"""Per-token rate limiting: a token bucket per API token on an injected clock."""

from __future__ import annotations

from clock import Clock


class RateLimiter:
    """Each key may make `per_minute` requests in a burst, then one every 60/per_minute seconds."""

    def __init__(self, per_minute: int, clock: Clock) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, monotonic at)

    def take(self, key: int) -> float:
        """Spend one request of `key`; 0.0 when allowed, else the seconds until one is allowed."""
        now = self.clock.monotonic()
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.refill
