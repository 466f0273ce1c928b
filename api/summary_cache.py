"""Channel summaries the API answered lately, kept in memory per channel, window and timezone.

An entry is served again only while the channel's stored data is what it was when the answer was
made (the same channel row and the same finished newest run: every post, counter and subscriber
count comes in through a run) and for at most `max_age` of the figures' clock after the `now` the
answer carries, so every answer is exact as of its own `now`. The caller reads the stamp before it
computes, so data written meanwhile makes the next stamp differ."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.models import Channel, Run

MAX_ENTRIES = 1024  # 100 channels x 5 windows fit; each entry is a few kilobytes of JSON


@dataclass(frozen=True)
class DataStamp:
    """What changes whenever a channel's figures may: its row and its newest run."""

    channel: Channel
    run_id: int
    run_finished_at: datetime


def data_stamp(channel: Channel, newest_run: Run | None) -> DataStamp | None:
    """The stamp of data at rest; None while a run is writing (or none ever ran): not cacheable."""
    if newest_run is None or newest_run.finished_at is None:
        return None
    return DataStamp(channel, newest_run.id, newest_run.finished_at)


@dataclass(frozen=True)
class _Entry:
    stamp: DataStamp
    now: datetime  # the figures' now the answer carries
    body: bytes


class SummaryCache:
    """A bounded map of (channel id, window, timezone) to a summary's JSON; the least recently used
    goes first when full."""

    def __init__(self, max_age: timedelta, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, str, str], _Entry] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_age > timedelta(0) and self.max_entries > 0

    def get(self, key: tuple[int, str, str], stamp: DataStamp, now: datetime) -> bytes | None:
        """The answer stored under `key` if its data is still `stamp` and it is at most `max_age`
        older than `now`; else None (and a stale entry is dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.stamp != stamp or not timedelta(0) <= now - entry.now <= self.max_age:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.body

    def put(self, key: tuple[int, str, str], stamp: DataStamp, now: datetime, body: bytes) -> None:
        if not self.enabled:
            return
        self._entries[key] = _Entry(stamp, now, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
