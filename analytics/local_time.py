"""A time zone's offsets from UTC over a stretch of time, for grouping posts by local hour in SQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Far shorter than the time between two changes of offset in any zone: a change between two probes
# is found, then pinned to its second by halving.
PROBE = timedelta(hours=6)


def _offset(zone: ZoneInfo, unix: float) -> int:
    delta = datetime.fromtimestamp(unix, UTC).astimezone(zone).utcoffset()
    assert delta is not None
    return int(delta.total_seconds())


def utc_offsets(tz: str, since: datetime, until: datetime) -> list[tuple[datetime | None, int]]:
    """The offset of `tz` from UTC in seconds over [since, until), and from which instant on each
    holds: the first entry's instant is None (from the beginning); the others fall on whole seconds."""
    zone = ZoneInfo(tz)
    start, end, step = since.timestamp(), until.timestamp(), PROBE.total_seconds()
    out: list[tuple[datetime | None, int]] = [(None, _offset(zone, start))]
    at = start
    while at < end:
        nxt = min(at + step, end)
        now = out[-1][1]
        if _offset(zone, nxt) != now:
            # Changes take effect on a whole second, in (at, nxt]: halve to the first second of the new one.
            lo, hi = math.floor(at), math.ceil(nxt)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _offset(zone, mid) == now else (lo, mid)
            out.append((datetime.fromtimestamp(hi, UTC), _offset(zone, hi)))
        at = nxt
    return out
