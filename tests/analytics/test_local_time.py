"""A time zone's offsets over a stretch of time, pinned to the second each change takes effect."""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.local_time import utc_offsets


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_summer_time_change_is_found_to_the_second() -> None:
    # Berlin: UTC+1 until 2026-03-29 01:00 UTC, then UTC+2 until 2026-10-25 01:00 UTC.
    assert utc_offsets("Europe/Berlin", utc("2026-03-01 00:00:00.5"), utc("2026-11-30 00:00")) == [
        (None, 3600), (utc("2026-03-29 01:00"), 7200), (utc("2026-10-25 01:00"), 3600),
    ]


def test_a_zone_without_changes_and_an_offset_off_the_hour() -> None:
    assert utc_offsets("Asia/Kolkata", utc("2026-03-01 00:00"), utc("2026-04-01 00:00")) == [(None, 19800)]
    assert utc_offsets("UTC", utc("2026-03-01 00:00"), utc("2026-03-01 00:00")) == [(None, 0)]


def test_a_change_at_the_very_start_counts_from_the_start() -> None:
    assert utc_offsets("Europe/Berlin", utc("2026-03-29 01:00"), utc("2026-03-30 00:00")) == [(None, 7200)]
