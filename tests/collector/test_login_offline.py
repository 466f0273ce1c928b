"""`login` without a reachable Telegram: one line, a non-zero exit, and no session file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon import errors

import main
from collector.login import connection_problem
from tests.collector.offline import not_telegram, write_session


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_ID", "12345")
    monkeypatch.setenv("TELEGRAM_API_HASH", "0123456789abcdef0123456789abcdef")


def test_login_when_something_else_answers_is_one_line_and_leaves_no_session(
    api: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with not_telegram(monkeypatch):
        code = main.main(["login"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip().splitlines() == [
        "login failed: cannot reach Telegram (MTProto): something other than Telegram answered (a proxy, "
        "firewall or captive portal?); check the network lets this machine reach Telegram"
    ]
    assert "Traceback" not in out + err
    assert not Path("data/pulse.session").exists()
    # So `collect` still says what to do, instead of dialling with a session that never signed in.
    assert main.main(["collect", "--once"]) == 2
    assert "no Telegram session at data/pulse.session" in capsys.readouterr().err


def test_a_session_from_before_is_kept_when_the_connection_fails(
    api: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # It may well be signed in: a network problem is no reason to throw the account's session away.
    with not_telegram(monkeypatch) as server:
        Path("data").mkdir()
        write_session("data/pulse", server.port)
        assert main.main(["login"]) == 1
    assert Path("data/pulse.session").exists()
    assert capsys.readouterr().err.startswith("login failed: cannot reach Telegram (MTProto)")


def test_refusals_by_telegram_say_what_to_check() -> None:
    assert connection_problem(errors.ApiIdInvalidError(request=None)) == (
        "Telegram refused TELEGRAM_API_ID / TELEGRAM_API_HASH: copy both again from "
        "https://my.telegram.org (API development tools)"
    )
    assert "wait 30 s" in connection_problem(errors.FloodWaitError(request=None, capture=30))
    assert connection_problem(ConnectionError("Connection to Telegram failed 5 time(s)")) == (
        "cannot reach Telegram (MTProto): Connection to Telegram failed 5 time(s); "
        "check the network (is this machine online?)"
    )


def test_collect_when_something_else_answers_is_one_line(
    api: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with not_telegram(monkeypatch) as server:
        Path("data").mkdir()
        write_session("data/pulse", server.port)
        assert main.main(["collect", "--once"]) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "cannot reach Telegram (MTProto): something other than Telegram answered (a proxy, "
        "firewall or captive portal?); check the network lets this machine reach Telegram"
    ]
    assert "Traceback" not in out + err
