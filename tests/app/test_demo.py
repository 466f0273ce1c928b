"""The demo as a newcomer runs it: a transcript on screen, the files in the output folder, exit 0."""

from __future__ import annotations

import csv
import io
import re
import signal
from pathlib import Path

from app.demo import demo_settings, run_demo
from settings import load_settings

SCRIPT = (
    ("/start", "now"),
    ("/add_channel @pulse_tech @pulse_private", "now"),
    ("/channels", "idle"),
    ("/chart @pulse_tech", "now"),
    ("/export @pulse_tech", "now"),
)


async def test_the_demo_shows_the_chat_and_the_pacing_and_writes_chart_and_csv(tmp_path: Path) -> None:
    # A user's .env asking for faster pacing is not what the demo shows: it plays the report's.
    settings = load_settings(env_file=None, mtproto_unsafe_override=True, mtproto_message_delay=0.1)
    out = io.StringIO()
    (tmp_path / "out").mkdir()
    code = await run_demo(demo_settings(settings, tmp_path / "data"), tmp_path / "out", SCRIPT,
                          scale=0.005, out=out)
    screen = out.getvalue()
    assert code == 0, screen
    assert "admin ▸ /add_channel @pulse_tech @pulse_private" in screen
    # One page of 50 messages, as Telegram counts them: the service messages among them are no posts.
    stored = re.search(r"bot   ◂ First collection of Pulse Tech Digest \(@pulse_tech\) is done: (\d+) posts "
                       r"stored\.", screen)
    assert stored is not None and 40 <= int(stored[1]) <= 50
    assert "@pulse_private is private" in screen
    # The collector paces by the report, not by the user's settings. Which pauses it then sits out
    # depends on how long the work between two steps took at this time scale, so the pauses
    # themselves are checked line by line on a virtual clock (test_demo_timeline.py).
    assert ("pacing 0.5 s per message, +3 s every 5, +10 s every 20, 8 s between channels, "
            "1 s between requests") in screen
    assert "message 0.1" not in screen and "0.1 s per message" not in screen
    assert "Demo finished in" in screen
    lines = screen.splitlines()
    # Each run's timeline closes as the run ends: before the bot's news of a finished run, and all
    # of it before the script goes on once the collector is idle (nothing trails behind).
    tech_done = _index(lines, "bot   ◂ First collection of Pulse Tech Digest (@pulse_tech) is done")
    assert _index(lines, "⏱ Rate limiting in @pulse_tech's run: ") < tech_done
    private_closed = _index(lines, "⏱ Rate limiting in @pulse_private's run: ")
    assert _index(lines, "bot   ◂ Could not collect @pulse_private") < private_closed
    timeline = [i for i, line in enumerate(lines) if "⏱" in line]
    assert max(timeline) == private_closed < _index(lines, "admin ▸ /channels")
    # The "done" line and the files written are the last part, with nothing after them.
    finished = _index(lines, "Demo finished in")
    assert lines[finished].endswith(f"Files written to {(tmp_path / 'out').resolve()}:")
    charts = sorted((tmp_path / "out").glob("*.png"))
    assert charts and all(p.read_bytes().startswith(b"\x89PNG") for p in charts)
    [export] = (tmp_path / "out").glob("*.csv")
    rows = list(csv.DictReader(io.StringIO(export.read_text())))
    assert len(rows) == int(stored[1])
    assert str(export) in screen
    listed = lines[finished + 1:]
    assert all(line.startswith("  ") for line in listed)
    assert sorted(Path(line.strip()).name for line in listed) == sorted(p.name for p in [*charts, export])


def _index(lines: list[str], text: str) -> int:
    """The screen line holding `text` (the only one)."""
    found = [i for i, line in enumerate(lines) if text in line]
    assert len(found) == 1, (text, found)
    return found[0]


def test_ctrl_c_stops_the_script_at_once_and_says_where_the_files_are(tmp_path: Path) -> None:
    from tests.drills.harness import START_WITHIN, start

    demo = start(tmp_path, "demo", env={"MTPROTO_MESSAGE_DELAY": "0.1", "MTPROTO_UNSAFE_OVERRIDE": "true"})
    try:
        demo.wait_for("admin ▸ /status")
        demo.signal(signal.SIGINT)
        code = demo.proc.wait(START_WITHIN)
    finally:
        demo.kill()
    screen = demo.output
    assert code == 130, screen
    assert screen.strip().splitlines()[-1] == f"demo interrupted; files so far in {tmp_path / 'demo-output'}"
    # The script stopped where it was, and aiogram did not see its server vanish under it.
    assert "admin ▸ /channels" not in screen
    assert "Failed to fetch updates" not in screen and "Traceback" not in screen
    # The override's warning is about the user's settings; the banner says the demo does not use them.
    assert ("Your MTPROTO_* settings are not used here (MTPROTO_MESSAGE_DELAY=0.1, "
            "MTPROTO_UNSAFE_OVERRIDE=True): the demo always plays the report's pacing") in screen
    assert "pacing 0.5 s per message" in screen
