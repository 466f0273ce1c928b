"""The demo's pacing timeline, drawn from the pacer's events on a virtual clock: the exact lines a
user sees, whatever the machine's speed."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from app.demo_view import Transcript
from clock import VirtualClock
from collector.pacing import Pacer, PacingConfig

INDENT = " " * 14


def _timeline(tmp_path: Path) -> tuple[Pacer, VirtualClock, Transcript, io.StringIO]:
    out = io.StringIO()
    view = Transcript(out, tmp_path, scale=0.1)
    clock = VirtualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    return Pacer(PacingConfig(), clock, on_event=view.timeline.on_event), clock, view, out


async def _run(pacer: Pacer, channel: str, messages: int, clock: VirtualClock, work: float = 0.0) -> None:
    """One channel's run as the collector paces it, `work` seconds spent before each step."""
    pacer.start_channel(channel)
    clock.advance(work)
    await pacer.before_channel()
    for kind in ("ResolveUsername", "GetHistory"):
        clock.advance(work)
        await pacer.before_request(kind)
    for _ in range(messages):
        clock.advance(work)
        await pacer.before_message()
    pacer.end_channel()


async def test_the_first_run_shows_each_layered_pause_and_each_run_ends_with_its_line(tmp_path: Path) -> None:
    pacer, clock, _, out = _timeline(tmp_path)
    await _run(pacer, "pulse_tech", 50, clock)
    await _run(pacer, "pulse_private", 0, clock)
    gaps = "  [after 4 x 0.5 s message gaps]"
    batch = "batch pause 3.50 s after message {} (message 0.5 + batch 3), 0.4 s here" + gaps
    extended = ("extended pause 13.50 s after message {} (message 0.5 + batch 3 + extended 10), 1.4 s here"
                + gaps)
    shown = [
        "request_gap pause 1.00 s before GetHistory (request_gap 1), 0.1 s here",
        *(batch.format(k) if k % 20 else extended.format(k) for k in range(5, 50, 5)),
    ]
    # 49 gaps between 50 messages: every 5th a batch pause (every 20th an extended one), the rest
    # 0.5 s each: 40 x 0.5 + 7 x 3.5 + 2 x 13.5 + the 1 s request gap = 72.5 s.
    assert out.getvalue().splitlines() == [
        *(f"{INDENT}⏱ Rate limiting: {line}" for line in shown),
        f"{INDENT}⏱ Rate limiting in @pulse_tech's run: 40 message, 7 batch, 2 extended, 1 request_gap "
        "pauses, 72 s in all (7.2 s here)",
        f"{INDENT}⏱ Rate limiting: channel pause 8.00 s before next channel (channel 8), 0.8 s here",
        f"{INDENT}⏱ Rate limiting in @pulse_private's run: 1 channel, 1 request_gap pauses, 9 s in all "
        "(0.9 s here)",
    ]


async def test_a_run_whose_work_outlasted_every_gap_still_gets_its_closing_line(tmp_path: Path) -> None:
    # On a slow machine (or a fast clock) the work between two steps can use up each gap: the pacer
    # then waits for nothing, and the timeline still says the run is over.
    pacer, clock, view, out = _timeline(tmp_path)
    await _run(pacer, "pulse_tech", 50, clock, work=20.0)
    await _run(pacer, "pulse_private", 0, clock, work=20.0)
    view.finish(1.0)
    lines = out.getvalue().splitlines()
    assert lines[:2] == [
        f"{INDENT}⏱ Rate limiting in @{channel}'s run: no pause needed (the work in between took longer "
        "than each gap)" for channel in ("pulse_tech", "pulse_private")
    ]
    assert "the run cut short by the stop" not in out.getvalue()


async def test_pauses_of_a_run_the_stop_cut_short_are_closed_when_the_demo_finishes(tmp_path: Path) -> None:
    pacer, clock, view, out = _timeline(tmp_path)
    await _run(pacer, "pulse_tech", 3, clock)
    pacer.start_channel("pulse_news")
    await pacer.before_channel()  # the stop came here: the run never ended
    view.finish(1.0)
    assert (f"{INDENT}⏱ Rate limiting in the run cut short by the stop: 1 channel pauses, 8 s in all "
            "(0.8 s here)") in out.getvalue().splitlines()
