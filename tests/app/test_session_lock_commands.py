"""`login` and `collect` take the same session lock as `run`: refused at once while it is held."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import main
from app.lock import SessionLock


@pytest.mark.parametrize("argv", [["login"], ["collect", "--once"]])
def test_a_held_session_refuses_login_and_collect(argv: list[str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_API_ID", "12345")
    monkeypatch.setenv("TELEGRAM_API_HASH", "0123456789abcdef0123456789abcdef")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pulse.session").write_bytes(b"")
    with SessionLock(Path("data/pulse.session")):
        assert main.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"another ChannelPulse process (pid {os.getpid()}) is using data/pulse.session — stop it "
                   "first; two clients on one session end in 'database is locked' or AuthKeyDuplicated"]
