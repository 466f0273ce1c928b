"""Reliability drills: `python main.py run --sandbox` as a child process, treated as a user would.

Each drill says what the user sees (exit code, the one line) and checks the database post by post
against the sandbox's truth afterwards. The clock is scaled so the report's pacing plays out fast.
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.drills.harness import (
    check_against_truth,
    collected,
    query,
    run,
    sandbox_env,
    sandbox_now,
    start,
    stored_posts,
    terminate_all,
    wait_until,
)

DB = Path("data/pulse.db")


def test_sigterm_during_a_long_pause_exits_cleanly_and_keeps_what_was_stored(tmp_path: Path) -> None:
    # A page of 50 messages at 10x speed, then Telegram asks for 50 minutes: five minutes of real
    # time here, as long as the drills wait for anything, so the checks below fit in the pause on
    # any machine that passes the drills at all.
    anchor, scale, flood = time.time(), 0.1, 3000
    env = sandbox_env(scale, anchor, SANDBOX_CHANNELS="pulse_news", SANDBOX_FLOOD_WAIT=f"info:{flood}")
    app = start(tmp_path, "run", "--sandbox", env=env)
    try:
        app.wait_for("Rate limiting: flood_wait pause")
        pause_ends = time.monotonic() + flood * scale  # the FloodWait's real time
        # Meanwhile a second `run` on the same session is refused after the checks before the lock
        # (settings, database, bot token, session), with one line, and starts nothing.
        code, out = run(tmp_path, "run", "--sandbox", env=env)
        assert code == 2
        assert out.strip().splitlines()[-1] == (
            f"another ChannelPulse process (pid {app.proc.pid}) is using data/pulse.session — stop it "
            "first; two clients on one session end in 'database is locked' or AuthKeyDuplicated"
        )
        assert "ChannelPulse running" not in out and "Traceback" not in out
        code, out = run(tmp_path, "collect", "--sandbox", "--once", env=env)
        assert code == 2 and f"pid {app.proc.pid}" in out
        code, seconds = app.stop()
        exited = time.monotonic()
    finally:
        terminate_all(app)
    assert code == 0, app.output[-2000:]
    # The stop does not sit out the pause (how fast it stops is bench_run's figure).
    assert exited < pause_ends, f"took {seconds:.1f} s to stop: the pause was sat out"
    assert "Traceback" not in app.output
    [(fetched, error)] = query(tmp_path / DB, "SELECT fetched, error FROM runs")
    assert error == "cancelled mid-run; stored posts are kept"
    # Every post of the page was stored before the wait: its 50 messages less the service messages.
    stored = stored_posts(tmp_path / DB, "pulse_news")
    assert 45 <= stored == fetched <= 50
    assert check_against_truth(tmp_path / DB, "pulse_news", sandbox_now(anchor, scale)) == stored
    # The wait is kept in the database, so a restart sends no GetFullChannel before it ends.
    assert query(tmp_path / DB, "SELECT method, seconds FROM account_blocks") == [
        ("channels.GetFullChannel", float(flood))]


def test_kill_9_mid_collection_then_restart_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    # At 20x the page's pauses after its 10th post last 3 s of real time: the kill, sent as soon as
    # 10 posts are seen (however late that is noticed), lands mid-page.
    anchor, scale = time.time(), 0.05
    env = sandbox_env(scale, anchor, SANDBOX_CHANNELS="pulse_news,pulse_tech")
    first = start(tmp_path, "run", "--sandbox", env=env, name="first")
    try:
        wait_until(lambda: stored_posts(tmp_path / DB, "pulse_news") >= 10,
                   what="pulse_news partly collected", app=first)
        first.signal(signal.SIGKILL)
        first.proc.wait(10)
        cut_at = stored_posts(tmp_path / DB, "pulse_news")
        assert cut_at < 50
        # The restart queues nothing new: the channels are in the database, due and half done.
        second = start(tmp_path, "run", "--sandbox", env={**env, "SANDBOX_CHANNELS": ""}, name="second")
        try:
            wait_until(lambda: collected(tmp_path / DB, "pulse_news", "pulse_tech"),
                       what="both channels collected after the restart", app=second)
            code, _ = second.stop()
        finally:
            terminate_all(second)
    finally:
        terminate_all(first)
    assert code == 0
    at = sandbox_now(anchor, scale)
    finished = query(tmp_path / DB, "SELECT c.username, r.fetched, r.error FROM runs r JOIN channels c "
                                    "ON c.id = r.channel_id WHERE r.finished_at IS NOT NULL ORDER BY r.id")
    # The killed run never finished; the restart's run of each channel did, and read 50 messages
    # (less the service messages among them, which are no posts).
    [(_, news, news_error)] = [r for r in finished if r[0] == "pulse_news"]
    [(_, tech, tech_error)] = [r for r in finished if r[0] == "pulse_tech"]
    assert news_error is None and tech_error is None
    assert 45 <= news <= 50 and 45 <= tech <= 50
    # The restart continued after the last stored post and filled the run's room with older ones:
    # what the killed run stored stays, once, and nothing in between is lost.
    assert check_against_truth(tmp_path / DB, "pulse_news", at) == cut_at + news
    assert check_against_truth(tmp_path / DB, "pulse_tech", at) == tech


def test_a_dropped_connection_and_a_60_s_floodwait_mid_channel_are_ridden_out(tmp_path: Path) -> None:
    anchor, scale = time.time(), 0.02
    env = sandbox_env(scale, anchor, SANDBOX_CHANNELS="pulse_news,pulse_markets",
                      SANDBOX_FLOOD_WAIT="history:60", SANDBOX_DISCONNECT="info")
    app = start(tmp_path, "run", "--sandbox", env=env)
    try:
        wait_until(lambda: collected(tmp_path / DB, "pulse_news", "pulse_markets"),
                   what="both channels collected", app=app)
        code, _ = app.stop()
    finally:
        terminate_all(app)
    assert code == 0
    out = app.output
    assert "connection lost during info; repeating it after 2 s" in out
    assert "Rate limiting: flood_wait pause" in out
    assert "disconnected from Telegram" not in out
    runs = query(tmp_path / DB, "SELECT c.username, r.fetched, r.error, r.flood_waits, r.flood_wait_seconds,"
                                " r.pacing_seconds FROM runs r JOIN channels c ON c.id = r.channel_id")
    assert sorted(r[0] for r in runs) == ["pulse_markets", "pulse_news"]  # one run each
    [news] = [r for r in runs if r[0] == "pulse_news"]
    [markets] = [r for r in runs if r[0] == "pulse_markets"]
    # The same run carried on: no error, every post of its 50 messages, and the 60 s Telegram asked.
    assert 45 <= news[1] <= 50 and news[2] is None
    assert news[3] == 1 and news[4] == 60
    pacing = json.loads(news[5])
    assert pacing["flood_wait"] > 0 and 1 <= pacing["backoff"] <= 2  # one back-off of 2 s, no second
    assert 45 <= markets[1] <= 50 and markets[2] is None and markets[3] == 0
    # On the wire: the repeat of GetHistory came 60 s after the FloodWait at the earliest, and the
    # dropped GetFullChannel was repeated after a reconnect.
    sent = query(tmp_path / DB, "SELECT at, method FROM account_requests ORDER BY id")
    methods = [m for _, m in sent]
    assert methods[:6] == ["contacts.ResolveUsername", "messages.GetHistory", "messages.GetHistory",
                           "channels.GetFullChannel", "help.GetConfig", "channels.GetFullChannel"]
    flooded, repeated = (datetime.fromisoformat(at) for at, _ in sent[1:3])
    assert (repeated - flooded).total_seconds() >= 60
    at = sandbox_now(anchor, scale)
    assert check_against_truth(tmp_path / DB, "pulse_news", at) == news[1]
    assert check_against_truth(tmp_path / DB, "pulse_markets", at) == markets[1]


def test_a_corrupt_env_value_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("COLLECT_INTERVAL_MINUTES=hourly\n")
    code, out = run(tmp_path, "run", "--sandbox")
    assert code == 2
    assert out.strip().splitlines() == [
        "settings: COLLECT_INTERVAL_MINUTES='hourly': Input should be a valid integer, "
        "unable to parse string as an integer"
    ]


def test_an_unreachable_bot_api_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out = run(tmp_path, "run", "--sandbox", env={"BOT_API_URL": "http://127.0.0.1:9"})
    assert code == 2, out
    assert "cannot reach the Bot API" in out and "BOT_API_URL" in out
    assert "Traceback" not in out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to the unprivileged user nobody (65534)")
def test_a_data_folder_the_process_may_not_write_is_one_line(tmp_path: Path) -> None:
    # Root may write anywhere, so the drill runs as `nobody` in a folder owned by root.
    os.chmod(tmp_path, 0o755)
    # The database is checked before the session lock, so it is told first here.
    code, out = run(tmp_path, "run", "--sandbox", user="65534")
    assert code == 2, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("cannot open the database sqlite+aiosqlite:///data/sandbox.db: "), last
    # With a database it may use (in memory: SQLite opens files by their full path, through pytest's
    # root-only folders), the lock's folder is what is told.
    code, out = run(tmp_path, "run", "--sandbox", env={"SANDBOX_DATABASE_URL": "sqlite:///:memory:"},
                    user="65534")
    assert code == 2, out
    assert out.strip().splitlines()[-1] == (
        "cannot create the session lock data/pulse.session.lock: Permission denied; "
        "make its folder writable by this user"
    )
    # The session folder writable, the database's not: the database check says so.
    session_dir = tmp_path / "session"
    session_dir.mkdir()
    os.chown(session_dir, 65534, 65534)
    # Relative paths: `nobody` may not pass through pytest's root-only folders above tmp_path.
    env = {"TELEGRAM_SESSION": "session/pulse.session", "SANDBOX_DATABASE_URL": "sqlite:///db/pulse.db"}
    code, out = run(tmp_path, "run", "--sandbox", env=env, user="65534")
    assert code == 2, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("cannot open the database sqlite+aiosqlite:///db/pulse.db: ")
    assert last.endswith("make its folder writable by this user")
    assert "Traceback" not in out


def test_the_sandbox_never_writes_to_the_database_the_env_file_names(tmp_path: Path) -> None:
    # .env.example sets DATABASE_URL, so a user who copied it has the real database named there.
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///data/pulse.db\n")
    env = sandbox_env(0.02, time.time(), SANDBOX_CHANNELS="pulse_tech")
    del env["SANDBOX_DATABASE_URL"]
    app = start(tmp_path, "run", "--sandbox", env=env)
    try:
        wait_until(lambda: collected(tmp_path / "data/sandbox.db", "pulse_tech"),
                   what="pulse_tech collected into data/sandbox.db", app=app)
        code, _ = app.stop()
    finally:
        terminate_all(app)
    assert code == 0
    assert "SANDBOX: using its own database, sqlite+aiosqlite:///data/sandbox.db" in app.output
    assert not (tmp_path / DB).exists()
