import asyncio
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

import main
from app.status import LAYERS, gather_status, status_json
from app.status_view import render_status
from storage.channels import ChannelRepo
from storage.db import write
from storage.digests import DigestRepo
from storage.migrate import open_database
from storage.models import Post, RunResult
from storage.posts import PostRepo
from storage.runs import RunRepo
from storage.schedule import JobSchedule, ScheduleRepo

ROOT = Path(__file__).resolve().parents[2]
PACING = {"message": 24.5, "batch": 27.0, "extended": 20.0, "channel": 8.0, "request_gap": 1.2}


async def _schedule(
    engine: AsyncEngine, now: datetime, next_run: timedelta, running: bool = False, pid: int | None = None
) -> None:
    """What a running process's collector records: its `collect` job's next run."""
    async with write(engine) as conn:
        await ScheduleRepo(conn).save(JobSchedule(
            "collect", now + next_run, timedelta(minutes=60), pid or os.getpid(), running, now,
        ))


async def _seed(engine: AsyncEngine, now: datetime) -> None:
    await _schedule(engine, now, timedelta(minutes=40))
    async with write(engine) as conn:
        channels, runs = ChannelRepo(conn), RunRepo(conn)
        good, _ = await channels.add("@good", "good", 1, now - timedelta(hours=2))
        bad, _ = await channels.add("t.me/gone", "gone", 1, now - timedelta(hours=2))
        await channels.update(
            good.id, status="active", title="Good News", last_collected_at=now - timedelta(minutes=30),
            next_collection_at=now + timedelta(minutes=30),
        )
        await channels.set_status(bad.id, "failed", "the channel is private (CHANNEL_PRIVATE)")
        for i in range(1, 4):
            await PostRepo(conn).upsert(Post(good.id, i, now - timedelta(hours=i)), now)
        await PostRepo(conn).mark_deleted(good.id, 3, now)  # still stored, with its history
        run_id = await runs.start(good.id, now - timedelta(minutes=32))
        await runs.finish(
            run_id,
            RunResult(fetched=50, new=3, updated=47, pacing_seconds=PACING, flood_waits=1,
                      flood_wait_seconds=30.0),
            now - timedelta(minutes=30),
        )
        failed_run = await runs.start(bad.id, now - timedelta(minutes=29))
        await runs.finish(failed_run, RunResult(error="ChannelPrivateError"), now - timedelta(minutes=29))
        await DigestRepo(conn).subscribe(42, "weekly", "09:30", "Europe/Berlin", [good.id], now, weekday=0)


async def test_report_shows_channels_failures_runs_and_digests(engine: AsyncEngine, now: datetime) -> None:
    await _seed(engine, now)
    report = await gather_status(engine, now)
    by_name = {c.username: c for c in report.channels}
    assert by_name["good"].posts == 3 and by_name["good"].title == "Good News"
    assert by_name["gone"].status == "failed"
    assert by_name["gone"].reason == "the channel is private (CHANNEL_PRIVATE)"
    assert report.last_collection == now - timedelta(minutes=30)
    # Due in 30 min, but the job's next run is in 40: that run collects it (the failed one never).
    assert report.next_collection == now + timedelta(minutes=40)
    assert by_name["good"].due_at == now + timedelta(minutes=30)
    assert by_name["gone"].next_collection_at is None
    newest, older = report.runs
    assert (newest.channel, newest.error) == ("@gone", "ChannelPrivateError")
    assert older.seconds == 120.0 and older.pacing_seconds == PACING and older.flood_waits == 1
    (digest,) = report.digests
    assert (digest.cadence, digest.weekday, digest.at_time, digest.channels) == (
        "weekly", 0, "09:30", ("@good",)
    )


async def test_json_has_every_pacing_layer_and_iso_times(engine: AsyncEngine, now: datetime) -> None:
    await _seed(engine, now)
    data = json.loads(json.dumps(status_json(await gather_status(engine, now))))
    run = data["runs"][1]
    assert list(run["pacing_seconds"]) == list(LAYERS)
    assert run["pacing_seconds"]["flood_wait"] == 0.0 and run["pacing_seconds"]["batch"] == 27.0
    assert run["flood_waits"] == 1 and run["flood_wait_seconds"] == 30.0
    assert datetime.fromisoformat(data["next_collection"]) == now + timedelta(minutes=40)
    assert datetime.fromisoformat(data["next_run"]) == now + timedelta(minutes=40)


async def test_terminal_tables_name_the_failure_and_the_layers(engine: AsyncEngine, now: datetime) -> None:
    await _seed(engine, now)
    out = io.StringIO()
    render_status(await gather_status(engine, now), Console(file=out, width=250))
    text = out.getvalue()
    assert "failed: the channel is private (CHANNEL_PRIVATE)" in text
    for header in (*LAYERS, "FloodWaits"):
        assert header in text
    assert "1 (30s)" in text and "27.0" in text
    assert "weekly Mon 09:30 Europe/Berlin" in text
    assert "(in 40m)" in text and "(30m ago)" in text


def test_cli_status_json_reads_what_is_stored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    async def seed() -> None:
        engine = await open_database("sqlite+aiosqlite:///data/pulse.db")
        await _seed(engine, datetime.now().astimezone())
        await engine.dispose()

    asyncio.run(seed())
    assert main.main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["username"]: c["status"] for c in data["channels"]} == {"good": "active", "gone": "failed"}


def test_health_check_passes_on_a_fresh_database(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "status", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["channels"] == []
    assert (tmp_path / "data" / "pulse.db").exists()


def test_health_check_fails_when_the_database_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pulse.db").write_bytes(b"this is not an SQLite database" * 100)
    assert main.main(["status", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("status: cannot open the database sqlite")


async def test_a_run_in_progress_and_a_due_channel_read_as_such(engine: AsyncEngine, now: datetime) -> None:
    async with write(engine) as conn:
        channel, _ = await ChannelRepo(conn).add("@fresh", "fresh", None, now - timedelta(minutes=5))
        await RunRepo(conn).start(channel.id, now - timedelta(seconds=40))
    await _schedule(engine, now, timedelta(minutes=20), running=True)
    report = await gather_status(engine, now)
    (run,) = report.runs
    assert run.finished_at is None and run.seconds is None
    assert status_json(report)["runs"][0]["pacing_seconds"] == dict.fromkeys(LAYERS, 0.0)
    out = io.StringIO()
    render_status(report, Console(file=out, width=250))
    text = out.getvalue()
    assert "running" in text and "next collection: now" in text
    assert "ChannelPulse process: unknown" in text  # no session path given


async def test_an_empty_database_says_what_to_do(engine: AsyncEngine, now: datetime) -> None:
    out = io.StringIO()
    render_status(await gather_status(engine, now), Console(file=out, width=250))
    text = out.getvalue()
    assert "next collection: nothing to collect" in text
    assert "No channels tracked yet: send /add_channel @name to the bot" in text


def test_status_names_the_process_holding_the_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.lock import SessionLock

    assert main.main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["process"] == "stopped"
    hold = "import sys; from pathlib import Path; from app.lock import SessionLock\n" \
        "with SessionLock(Path('data/pulse.session')):\n    print('locked', flush=True); sys.stdin.read()"
    proc = subprocess.Popen(
        [sys.executable, "-c", hold], cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        assert main.main(["status", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert (data["process"], data["process_pid"]) == ("running", proc.pid)
        assert main.main(["status"]) == 0
        assert f"ChannelPulse process: running (pid {proc.pid})" in capsys.readouterr().out
    finally:
        proc.communicate(input="", timeout=60)
    with SessionLock(tmp_path / "data" / "pulse.session"):
        pass  # status never kept the lock for itself


async def test_a_stopped_process_schedules_nothing_and_status_says_so(
    engine: AsyncEngine, now: datetime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await _seed(engine, now)  # recorded by a process that is gone: its next run will not happen
    monkeypatch.setattr("app.status.lock_holder", lambda session: None)
    report = await gather_status(engine, now, session=tmp_path / "pulse.session")
    assert report.process == "stopped" and report.next_collection is None and report.next_run is None
    out = io.StringIO()
    render_status(report, Console(file=out, width=250))
    text = out.getvalue()
    assert "next collection: when `python main.py run` starts" in text
    assert "after 2026-03-02 12:30 UTC (in 30m)" in text  # its due time, which a started run honours


async def test_only_the_process_that_recorded_the_schedule_is_believed(
    engine: AsyncEngine, now: datetime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await _seed(engine, now)
    session = tmp_path / "pulse.session"
    # `collect --once` (no schedule of its own) holds the lock now; the schedule is an old run's.
    monkeypatch.setattr("app.status.lock_holder", lambda session: os.getpid() + 1)
    assert (await gather_status(engine, now, session=session)).next_collection is None
    monkeypatch.setattr("app.status.lock_holder", lambda session: os.getpid())
    assert (await gather_status(engine, now, session=session)).next_collection == now + timedelta(minutes=40)


async def test_a_run_skipped_while_the_last_one_drained_moves_the_schedule_on(
    engine: AsyncEngine, now: datetime
) -> None:
    await _seed(engine, now)
    # Recorded 40 min ago for 10 min ago (the job skipped that run): the next is in 50 min, and the
    # channel due in 30 min waits for it.
    await _schedule(engine, now - timedelta(minutes=40), timedelta(minutes=30))
    report = await gather_status(engine, now)
    assert report.next_run == now + timedelta(minutes=50)
    assert report.next_collection == now + timedelta(minutes=50)


@pytest.mark.sqlite_only("measures the SQLite file and its write-ahead log on disk")
async def test_status_shows_the_database_size_on_disk_and_in_use(
    engine: AsyncEngine, now: datetime, db_url: str
) -> None:
    path = db_url.split("///", 1)[1]
    report = await gather_status(engine, now)
    assert report.size is not None and report.size.file_bytes is not None
    on_disk = await asyncio.to_thread(
        lambda: sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p)))
    assert report.size.file_bytes == on_disk
    assert 0 < report.size.used_bytes <= on_disk
    assert status_json(report)["size"] == {"used_bytes": report.size.used_bytes, "file_bytes": on_disk}
    out = io.StringIO()
    render_status(report, Console(file=out, width=250))
    assert re.search(r"^Database size: [\d.]+ KiB on disk, [\d.]+ KiB in use$", out.getvalue(), re.M)


async def test_status_shows_a_server_databases_size_as_the_server_counts_it(
    engine: AsyncEngine, now: datetime, db_backend: str
) -> None:
    if db_backend == "sqlite":
        pytest.skip("a server database only: SQLite's file is checked above")
    async with engine.connect() as conn:
        on_server = (await conn.exec_driver_sql("SELECT pg_database_size(current_database())")).scalar_one()
    report = await gather_status(engine, now)
    assert report.size is not None and report.size.file_bytes is None
    assert report.size.used_bytes == on_server
    out = io.StringIO()
    render_status(report, Console(file=out, width=250))
    assert re.search(r"^Database size: [\d.]+ MiB$", out.getvalue(), re.M)
