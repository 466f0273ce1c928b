"""The `collect` progress line, the `login` session file's permissions, and the virtual clock."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clock import VirtualClock
from collector.cli import render_state
from collector.login import protect, session_path
from collector.records import CollectorState
from settings import load_settings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _state(**kw: object) -> CollectorState:
    base: dict[str, object] = dict(
        collecting=False, channel=None, message_index=None, message_total=None, wait_seconds=None,
        wait_layer=None, wait_until=None, queue_length=0, eta=None, next_run=None, flood_waits_today=0,
    )
    return CollectorState(**(base | kw))  # type: ignore[arg-type]


def test_progress_line_shows_the_pause_and_its_layer() -> None:
    line = render_state(_state(
        collecting=True, channel="pulse_news", message_index=20, message_total=50, wait_seconds=13.5,
        wait_layer="extended", queue_length=2, eta=NOW + timedelta(minutes=3), flood_waits_today=1,
    ))
    assert line == ("collecting @pulse_news: message 20 of 50, Rate limiting: extended pause 13.5 s; "
                    "2 due, done about 12:03 UTC; FloodWaits today: 1")
    assert render_state(_state(next_run=NOW)) == "idle, next run at 12:00:00 UTC; 0 due"


def test_login_session_file_is_owner_only(tmp_path: Path) -> None:
    settings = load_settings(None, telegram_session=tmp_path / "acct")
    path = session_path(settings)
    assert path == tmp_path / "acct.session"
    path.write_bytes(b"")
    path.chmod(0o644)
    protect(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_virtual_clock_records_sleeps_and_moves_time() -> None:
    clock = VirtualClock(NOW)
    await clock.sleep(1.5)
    await clock.sleep(-1)
    assert clock.sleeps == [1.5, 0.0]
    assert clock.now() == NOW + timedelta(seconds=1.5) and clock.monotonic() == 1.5
