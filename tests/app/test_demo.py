"""The demo as a newcomer runs it: a transcript on screen, the files in the output folder, exit 0."""

from __future__ import annotations

import csv
import io
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
    assert "bot   ◂ First collection of Pulse Tech Digest (@pulse_tech) is done: 50 posts stored." in screen
    assert "@pulse_private is private" in screen
    assert "⏱ Rate limiting: extended pause" in screen and "(message 0.5 + batch 3 + extended 10)" in screen
    assert "message 0.1" not in screen
    assert "Demo finished in" in screen
    charts = sorted((tmp_path / "out").glob("*.png"))
    assert charts and all(p.read_bytes().startswith(b"\x89PNG") for p in charts)
    [export] = (tmp_path / "out").glob("*.csv")
    rows = list(csv.DictReader(io.StringIO(export.read_text())))
    assert len(rows) == 50
    assert str(export) in screen
