"""`python main.py stats` and `export` against a database the fixtures wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import main
from analytics.cli import normalize_ref
from tests.analytics.conftest import P, add_channel, add_posts

pytestmark = pytest.mark.usefixtures("pulse")


@pytest.fixture(autouse=True)
def _database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)


@pytest.mark.parametrize(
    "ref", ["@pulse", "pulse", "t.me/pulse", "https://t.me/Pulse", "https://t.me/pulse/14", " @PULSE "]
)
def test_refs_normalise_to_the_username(ref: str) -> None:
    assert normalize_ref(ref) == "pulse"


def test_stats_json_has_every_number(capsys: pytest.CaptureFixture[str]) -> None:
    # The real clock runs here, so "all" keeps the fixture's 2026-02/03 posts in the window.
    assert main.main(["stats", "t.me/pulse", "--window", "all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["window"] == "all" and data["never_collected"] is False
    assert data["current"]["posts"] == 9 and data["current"]["subscribers"] == 1100
    for key in ("err", "err24", "er", "views_median", "posts_per_day", "replies_per_post"):
        assert key in data["current"]


def test_stats_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["stats", "@pulse", "--window", "all"]) == 0
    out = capsys.readouterr().out
    assert "Views per post (median)" in out and "1,100" in out and "https://t.me/pulse/14" in out
    assert "previous window" not in out  # "all" has no window before it: no column of n/a


def test_overview_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["stats"]) == 0
    assert "@pulse" in capsys.readouterr().out
    assert main.main(["stats", "--json"]) == 0
    assert [c["username"] for c in json.loads(capsys.readouterr().out)["channels"]] == ["pulse"]


def test_unknown_channel_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["stats", "@nobody"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["@nobody is not tracked — add it with /add_channel or `python main.py collect @nobody`"]
    assert main.main(["export", "@nobody"]) == 1


@pytest.fixture
async def ghost(engine: AsyncEngine) -> int:
    return await add_channel(engine, "ghost", None)


@pytest.mark.usefixtures("ghost")
def test_never_collected_says_so_instead_of_zeros(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["stats", "@ghost"]) == 0
    out = capsys.readouterr().out
    assert "never collected" in out and " 0 " not in out
    assert main.main(["stats", "@ghost", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["never_collected"] is True and data["current"] is None
    assert main.main(["export", "@ghost"]) == 1
    assert "@ghost has no posts stored yet: nothing to export" in capsys.readouterr().err


def test_export_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pulse.csv"
    assert main.main(["export", "@pulse", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("message_id,date,link") and len(lines) == 14
    assert main.main(["export", "@pulse", "--series", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 11


def test_export_makes_the_folder_and_refuses_a_folder_as_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["export", "@pulse", "--out", str(tmp_path / "new" / "pulse.csv")]) == 0
    assert (tmp_path / "new" / "pulse.csv").read_text().startswith("message_id,")
    capsys.readouterr()
    assert main.main(["export", "@pulse", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"--out {tmp_path} is a folder: name a file, e.g. {tmp_path}/pulse.csv\n"


@pytest.fixture
async def interrupted(engine: AsyncEngine) -> int:
    # Its first run was stopped after storing posts: never "collected", but the posts are there.
    cid = await add_channel(engine, "interrupted", None)
    await add_posts(engine, cid, (P(1, "2026-03-01 10:00", 50), P(2, "2026-03-01 11:00", 60)))
    return cid


@pytest.mark.usefixtures("interrupted")
def test_posts_stored_by_an_interrupted_first_run_can_be_exported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.main(["export", "@interrupted"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


@pytest.fixture
async def filling(engine: AsyncEngine) -> int:
    # Still being read back: its oldest stored post is recent, and older ones exist unread.
    cid = await add_channel(engine, "filling", datetime.now(UTC), complete=False)
    recent = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    await add_posts(engine, cid, (P(1, recent, 500),))
    return cid


@pytest.mark.usefixtures("filling")
def test_a_window_before_the_oldest_post_read_is_not_shown_as_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.main(["stats", "@filling", "--window", "7d"]) == 0
    out = capsys.readouterr().out
    assert "not read" in out and "Posts are read back to" in out
    assert "Nothing to compare with" in out
    assert main.main(["stats", "--window", "7d"]) == 0
    assert "still being read back" in capsys.readouterr().out
    assert main.main(["stats", "@filling", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["partial"] is True and data["previous_unread"] is True and data["previous"] is None


def test_a_reader_that_stops_early_gets_no_traceback(db_url: str) -> None:
    # `stats --json | head -c1` or `| true`: the pipe is closed before the output is written.
    env = {**os.environ, "DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, str(Path(main.__file__)), "stats", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 1 and "Traceback" not in err, err


def test_the_bots_word_order_works_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["stats", "@pulse", "all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["window"] == "all"
    assert main.main(["stats", "30D", "--json"]) == 0  # no channel: the overview over 30 days
    assert json.loads(capsys.readouterr().out)["window"] == "30d"
    assert main.main(["export", "@pulse", "series", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 11  # every snapshot, as with --series
