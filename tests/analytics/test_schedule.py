"""Digest slots: daily/weekly in the subscriber's zone, both DST changes, restarts and the grace."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from analytics.schedule import next_slot, slot_decision
from tests.analytics.conftest import t

BERLIN = "Europe/Berlin"


def slots(cadence: str, at: str, tz: str, weekday: int | None, after: datetime, n: int) -> list[datetime]:
    out = []
    for _ in range(n):
        after = next_slot(cadence, at, tz, weekday, after)
        out.append(after)
    return out


def test_daily_0230_berlin_once_on_the_fall_back_day() -> None:
    # 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice (00:30 and 01:30 UTC).
    got = slots("daily", "02:30", BERLIN, None, t("2026-10-24 00:00"), 3)
    assert got == [t("2026-10-24 00:30"), t("2026-10-25 00:30"), t("2026-10-26 01:30")]


def test_daily_0230_berlin_at_the_next_valid_time_on_the_spring_forward_day() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist, 03:00 CEST is 01:00 UTC.
    got = slots("daily", "02:30", BERLIN, None, t("2026-03-28 00:00"), 3)
    assert got == [t("2026-03-28 01:30"), t("2026-03-29 01:00"), t("2026-03-30 00:30")]


def test_second_occurrence_of_0230_is_not_a_new_slot() -> None:
    d = slot_decision("daily", "02:30", BERLIN, None, t("2026-10-25 00:30"), t("2026-10-25 01:30"), 6)
    assert (d.action, d.next_slot) == ("wait", t("2026-10-26 01:30"))


def test_weekly_slot_in_its_own_zone() -> None:
    # Monday 08:00 in New York; 2026-03-08 is the US spring-forward Sunday (EST -> EDT).
    got = slots("weekly", "08:00", "America/New_York", 0, t("2026-03-01 00:00"), 2)
    assert got == [t("2026-03-02 13:00"), t("2026-03-09 12:00")]


def test_on_time_then_wait_until_tomorrow() -> None:
    slot = t("2026-06-10 07:00")  # 09:00 CEST
    yesterday = slot - timedelta(days=1)
    d = slot_decision("daily", "09:00", BERLIN, None, yesterday, slot + timedelta(seconds=20), 6)
    assert (d.action, d.slot, d.late) == ("send", slot, False)
    after = slot_decision("daily", "09:00", BERLIN, None, slot, slot + timedelta(minutes=5), 6)
    assert (after.action, after.slot, after.next_slot) == ("wait", None, slot + timedelta(days=1))


@pytest.mark.parametrize(
    ("hours_late", "action"), [(2, "send"), (6, "send"), (6.01, "skip"), (9, "skip")]
)
def test_restart_mid_day_late_within_or_beyond_grace(hours_late: float, action: str) -> None:
    # The process was down at 09:00 and two earlier days; only today's slot is considered.
    slot = t("2026-06-10 07:00")
    now = slot + timedelta(hours=hours_late)
    d = slot_decision("daily", "09:00", BERLIN, None, slot - timedelta(days=3), now, 6)
    assert (d.action, d.slot, d.late) == (action, slot, True)
    assert d.next_slot == slot + timedelta(days=1)


def test_late_slot_is_sent_once() -> None:
    slot = t("2026-06-10 07:00")
    first = slot_decision("daily", "09:00", BERLIN, None, None, slot + timedelta(hours=1), 6)
    assert first.action == "send" and first.slot == slot
    again = slot_decision("daily", "09:00", BERLIN, None, first.slot, slot + timedelta(hours=2), 6)
    assert again.action == "wait"


def test_bad_cadence_is_refused() -> None:
    with pytest.raises(ValueError):
        next_slot("hourly", "09:00", BERLIN, None, t("2026-06-10 07:00"))
    with pytest.raises(ValueError):
        next_slot("weekly", "09:00", BERLIN, None, t("2026-06-10 07:00"))


def test_a_grace_of_zero_still_sends_the_slot_the_cron_job_fires_for() -> None:
    slot = t("2026-03-02 08:00")
    fired = slot_decision("daily", "09:00", BERLIN, None, None, slot + timedelta(milliseconds=5), 0)
    assert fired.action == "send" and not fired.late
    missed = slot_decision("daily", "09:00", BERLIN, None, None, slot + timedelta(minutes=30), 0)
    assert missed.action == "skip"
