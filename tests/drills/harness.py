"""Running `python main.py run --sandbox` as a user would, and checking its database against the sandbox.

The sandbox Telegram is a pure function of its seed and of sandbox time, so after a drill we can
say, post by post, what the database should hold: every post in the collected id range that
Telegram still shows, each once, with the date and media the sandbox gave it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.telegram import SPECS, SandboxTelegram

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "main.py"
# A hang guard, never a speed test: starting costs seconds of CPU (aiogram, SQLAlchemy, matplotlib
# imports), and on a loaded machine that is a minute of real time; a drill gives anything it waits
# for (a start, a collection, a stop) this long.
START_WITHIN = 300.0


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        return None


@dataclass
class AppProcess:
    """One `python main.py ...` child with its output in a file (a pipe could fill and block it)."""

    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, within: float = START_WITHIN) -> None:
        wait_until(lambda: text in self.output, within, f"{text!r} in the output", self)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, within: float = START_WITHIN) -> tuple[int, float]:
        """SIGTERM, then the exit code and the seconds the process took to exit."""
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(within)
        return code, time.monotonic() - began

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def start(cwd: Path, *args: str, env: dict[str, str] | None = None, name: str = "app",
          user: str | None = None) -> AppProcess:
    """Start `python main.py <args>` in `cwd` with the sandbox knobs in `env`."""
    log = cwd / f"{name}.log"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [sys.executable, str(MAIN), *args]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    return AppProcess(proc, log)


def run(cwd: Path, *args: str, env: dict[str, str] | None = None, user: str | None = None,
        within: float = START_WITHIN) -> tuple[int, str]:
    """Run a command to its end: exit code and output."""
    app = start(cwd, *args, env=env, name="once", user=user)
    code = app.proc.wait(within)
    return code, app.output


def wait_until(
    condition: Callable[[], bool], within: float = START_WITHIN, what: str = "the condition",
    app: AppProcess | None = None,
) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if app is not None and app.proc.poll() is not None and not condition():
            raise AssertionError(
                f"the app exited ({app.proc.returncode}) before {what}:\n{app.output[-3000:]}"
            )
        if time.monotonic() > deadline:
            tail = app.output[-3000:] if app is not None else ""
            raise AssertionError(f"no {what} within {within:g} s\n{tail}")
        time.sleep(0.05)


Database = Path | str  # a SQLite file, or a postgresql:// URL (the split roles' drills)


def query(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of `sql` (with `?` placeholders) read from a SQLite file or a PostgreSQL database; no
    rows while the database does not exist or is not migrated yet."""
    if isinstance(db, str):
        return _query_postgres(db, sql, params)
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not migrated yet
    finally:
        conn.close()


def _query_postgres(url: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    import psycopg

    from collector.tasks import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        try:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()
        except psycopg.errors.UndefinedTable:
            return []  # not migrated yet


def stored_posts(db: Database, username: str) -> int:
    rows = query(db, "SELECT COUNT(*) FROM posts p JOIN channels c ON c.id = p.channel_id "
                     "WHERE c.username = ?", username)
    return rows[0][0] if rows else 0


def collected(db: Database, *usernames: str) -> bool:
    """Every channel named has finished a run without error, its record written. (The channel is
    marked collected a moment before its run's record is finished: a stop sent on the first mark
    alone could land in between, on a slow machine.)"""
    marks = ",".join("?" * len(usernames))
    done = query(db, f"SELECT COUNT(DISTINCT c.id) FROM channels c JOIN runs r ON r.channel_id = c.id "
                     f"WHERE c.username IN ({marks}) AND c.last_collected_at IS NOT NULL "
                     "AND r.finished_at IS NOT NULL AND r.error IS NULL", *usernames)
    return bool(done) and done[0][0] == len(usernames)


def sandbox_now(anchor: float, scale: float) -> datetime:
    """Sandbox time now, as app/sandbox_wiring.py computes it for the same anchor and scale."""
    return datetime.fromtimestamp(anchor + (time.time() - anchor) / scale, UTC)


def check_against_truth(db: Database, username: str, at: datetime) -> int:
    """Compare the channel's stored posts with the sandbox post by post; returns how many match.

    Nothing duplicated: one row per message id. Nothing lost: every id in the collected range that
    is a post and still visible at `at` is stored. Nothing invented: each stored post has the
    sandbox's date and media for its id.
    """
    spec = SPECS[username]
    world = SandboxTelegram(FixedClock(at))
    rows = query(db, "SELECT p.message_id, p.date, p.media_kind FROM posts p "
                     "JOIN channels c ON c.id = p.channel_id WHERE c.username = ?", username)
    ids = [r[0] for r in rows]
    assert ids, f"@{username}: nothing stored"
    assert len(ids) == len(set(ids)), f"@{username}: duplicated posts"
    dups = query(db, "SELECT message_id, run_id, COUNT(*) FROM counter_snapshots s "
                     "JOIN channels c ON c.id = s.channel_id WHERE c.username = ? "
                     "GROUP BY message_id, run_id HAVING COUNT(*) > 1", username)
    assert not dups, f"@{username}: one post snapshotted twice in one run: {dups[:3]}"
    for message_id, date, media in rows:
        truth = world._post(spec, message_id, at)
        assert str(date)[:19].replace("T", " ") == truth.date.strftime("%Y-%m-%d %H:%M:%S"), message_id
        assert media == truth.media_kind, message_id
        assert not world._is_service(spec, message_id), f"service message {message_id} stored as a post"
    expected = {i for i in range(min(ids), max(ids) + 1)
                if not world._is_service(spec, i) and not world._gone(spec, i, at)}
    missing = expected - set(ids)
    assert not missing, f"@{username}: posts lost: {sorted(missing)[:10]}"
    return len(ids)


def alive(app: AppProcess) -> bool:
    return app.proc.poll() is None


def sandbox_env(scale: float, anchor: float, **knobs: str) -> dict[str, str]:
    # The database named explicitly, so the drills compare the file they chose.
    return {"SANDBOX_TIME_SCALE": str(scale), "SANDBOX_ANCHOR": str(anchor), "LOG_LEVEL": "INFO",
            "SANDBOX_DATABASE_URL": "sqlite:///data/pulse.db", **knobs}


def terminate_all(*apps: AppProcess) -> None:
    for app in apps:
        if alive(app):
            os.kill(app.proc.pid, signal.SIGKILL)
            app.proc.wait(10)
