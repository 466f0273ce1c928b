"""The demo as a newcomer runs it: a transcript on screen, the files in the output folder, exit 0."""

from __future__ import annotations

import csv
import io
import re
import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from api import chart_lib
from app.demo import demo_settings, run_demo
from app.demo_dashboard import opening_lines
from settings import load_settings
from storage.migrate import open_database

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
    # The dashboard and the API served the demo's database while it played: where, and how to get in.
    port = demo_settings_port(screen)
    assert re.search(rf"Dashboard login link \(once, within 5 minutes\): "
                     rf"http://127\.0\.0\.1:{port}/dashboard/login\?t=\S+$", screen, re.M)
    assert re.search(rf'curl -H "Authorization: Bearer cp_\S+" http://127\.0\.0\.1:{port}/api/v1/channels$',
                     screen, re.M)
    assert "`python main.py demo --serve` keeps it open until Ctrl-C" in screen
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


def demo_settings_port(screen: str) -> int:
    """The port the demo's API listened on, from its start-up line."""
    found = re.search(r"HTTP API on http://127\.0\.0\.1:(\d+) ", screen)
    assert found is not None, screen
    return int(found[1])


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


def test_demo_serve_keeps_the_dashboard_open_with_the_demos_channels_until_ctrl_c(tmp_path: Path) -> None:
    from tests.drills.harness import START_WITHIN, start

    demo = start(tmp_path, "demo", "--serve")
    try:
        demo.wait_for("until Ctrl-C (the collector goes on collecting meanwhile)")
        demo.wait_for("\nDashboard login link")
        before = demo.output
        [*_, link] = re.findall(r"^Dashboard login link \(once, within 5 minutes\): (\S+)$", before, re.M)
        base = link.split("/dashboard/")[0]
        with httpx.Client(base_url=base, timeout=START_WITHIN) as browser:
            assert browser.get(link).status_code == 200
            assert browser.cookies.get("cp_session")
            page = browser.get("/dashboard/")
            assert page.status_code == 200
            for title in ("Pulse News", "Pulse Tech Digest", "Pulse Markets"):
                assert title in page.text
            # The link logged this browser in once; another visit with it logs nobody in.
            assert httpx.get(link, timeout=START_WITHIN).status_code == 410
        demo.signal(signal.SIGINT)
        code = demo.proc.wait(START_WITHIN)
    finally:
        demo.kill()
    after = demo.output[len(before):]
    assert code == 0, demo.output
    assert after.strip().splitlines() == [
        f"dashboard closed, demo stopped; files in {tmp_path / 'demo-output'}"], after
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/healthz", timeout=START_WITHIN)


async def test_the_demo_says_when_the_dashboards_chart_library_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chart_lib, "VENDOR", tmp_path / "no-vendor")
    settings = demo_settings(load_settings(env_file=None), tmp_path, api_port=8099)
    engine = await open_database(settings.database_url)
    try:
        lines = await opening_lines(engine, settings, datetime.now(UTC), serve=True)
    finally:
        await engine.dispose()
    assert lines[0] == ("Dashboard at http://127.0.0.1:8099/dashboard/ (it stays open after the script, "
                        "until Ctrl-C)")
    assert lines[-1].startswith("The dashboard's chart library is missing, so its pages show figures and "
                                "tables without charts: `python -m api.chart_lib`")
