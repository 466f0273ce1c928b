"""The sandbox knobs the drills use, and the sandbox clock that continues across restarts."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest

from app.sandbox_wiring import KnobError, Knobs, sandbox_clock


def test_knobs_read_faults_channels_and_scale() -> None:
    knobs = Knobs.from_env({
        "SANDBOX_TIME_SCALE": "0.02", "SANDBOX_FLOOD_WAIT": "history:60, info:30:2",
        "SANDBOX_DISCONNECT": "info", "SANDBOX_CHANNELS": "@pulse_news, pulse_tech",
    })
    assert knobs.scale == 0.02
    assert knobs.floods == (("history", 60, 1), ("info", 30, 2))
    assert knobs.disconnects == (("info", 1),)
    assert knobs.channels == ("pulse_news", "pulse_tech")


def test_all_channels_means_the_three_public_ones_and_the_private_one() -> None:
    assert Knobs.from_env({"SANDBOX_CHANNELS": "all"}).channels == (
        "pulse_news", "pulse_tech", "pulse_markets", "pulse_private")


@pytest.mark.parametrize(("env", "says"), [
    ({"SANDBOX_TIME_SCALE": "fast"}, "a SANDBOX_* value cannot be read"),
    ({"SANDBOX_TIME_SCALE": "0"}, "SANDBOX_TIME_SCALE=0: must be positive"),
    ({"SANDBOX_FLOOD_WAIT": "history"}, "a SANDBOX_* value cannot be read"),
    ({"SANDBOX_DISCONNECT": "photos"}, "unknown request kind photos"),
])
def test_a_bad_knob_is_one_line(env: dict[str, str], says: str) -> None:
    with pytest.raises(KnobError, match=re.escape(says)):
        Knobs.from_env(env)


def test_a_restart_with_the_same_anchor_continues_sandbox_time_instead_of_going_back() -> None:
    anchor = time.time() - 10  # the first process started ten real seconds ago
    before = time.time()
    first = sandbox_clock(Knobs(scale=0.01, anchor=anchor)).now()
    later = sandbox_clock(Knobs(scale=0.01, anchor=anchor)).now()
    after = time.time()
    # The real seconds since the anchor (ten, and however long this took), at 100x, for both
    # processes: 1000 sandbox seconds and more past the anchor, never back at it.
    assert (before - anchor) / 0.01 - 0.01 <= first.timestamp() - anchor <= (after - anchor) / 0.01 + 0.01
    assert first <= later <= datetime.fromtimestamp(anchor + (after - anchor) / 0.01 + 0.01, UTC)
