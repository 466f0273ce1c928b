"""`run`'s start-up checks tell the first problem first, in this order: settings, database, bot
token, Telethon session, BOT_API_URL, session lock. Telegram's address is 127.0.0.1 throughout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

import main
from app.launch import _checked_production
from app.run import MALFORMED_TOKEN
from app.wiring import StartupError
from sandbox.botapi import DEFAULT_TOKEN, BotAPIServer
from settings import Settings, load_settings
from tests.collector.offline import NotTelegram, closed_port, not_telegram, write_session

HELD = "another ChannelPulse process (pid 4242) is using data/pulse.session — stop it first"


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> object:
    with not_telegram(monkeypatch) as server:
        yield server


@pytest.fixture
async def botapi() -> AsyncIterator[BotAPIServer]:
    server = await BotAPIServer().start()
    yield server
    await server.stop()


def _settings(db_url: str, bot_api_url: str, token: str = DEFAULT_TOKEN) -> Settings:
    return load_settings(
        env_file=None, database_url=db_url, bot_token=SecretStr(token), bot_api_url=bot_api_url,
        admin_ids=[1], telegram_api_id=12345, telegram_api_hash=SecretStr("0" * 32),
    )


def _session_at(telegram: NotTelegram) -> None:
    Path("data").mkdir()
    write_session("data/pulse", telegram.port)


async def _told(settings: Settings, refused: str | None = None) -> str:
    with pytest.raises(StartupError) as caught:
        await _checked_production(settings, refused)
    return str(caught.value)


def test_the_trials_fake_credentials_hear_about_the_token_first(
    telegram: NotTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {"BOT_TOKEN": "notatoken", "BOT_API_URL": f"http://127.0.0.1:{closed_port()}",
                        "ADMIN_IDS": "1", "TELEGRAM_API_ID": "12345", "TELEGRAM_API_HASH": "0" * 32}.items():
        monkeypatch.setenv(name, value)
    _session_at(telegram)
    assert main.main(["run"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [MALFORMED_TOKEN]
    assert telegram.dialled == 0


async def test_a_database_problem_comes_before_the_token(tmp_path: Path, telegram: NotTelegram) -> None:
    (tmp_path / "blocker").write_text("a file where the database folder should be")
    broken = f"sqlite+aiosqlite:///{tmp_path}/blocker/x.db"
    told = await _told(_settings(broken, "http://127.0.0.1:9", "notatoken"))
    assert told.startswith("cannot open the database")


async def test_a_refused_token_comes_before_mtproto(db_url: str, botapi: BotAPIServer,
                                                   telegram: NotTelegram) -> None:
    _session_at(telegram)
    told = await _told(_settings(db_url, botapi.base_url, "42:not-the-servers-token"))
    assert told.startswith("BOT_TOKEN was refused by Telegram")
    assert telegram.dialled == 0


async def test_the_session_comes_after_the_token_and_before_bot_api_url(
    db_url: str, botapi: BotAPIServer, telegram: NotTelegram,
) -> None:
    # A good token: the session's absence is next, and no empty session file is made by asking.
    told = await _told(_settings(db_url, botapi.base_url))
    assert told == ("no Telegram session at data/pulse.session and TELEGRAM_SESSION_STRING is not set: "
                    "run `python main.py login` first")
    assert not Path("data/pulse.session").exists()  # noqa: ASYNC240 - a test's quick look
    # An unreachable BOT_API_URL (so the token cannot be checked) waits behind the session too.
    unreachable = _settings(db_url, f"http://127.0.0.1:{closed_port()}")
    assert (await _told(unreachable)).startswith("no Telegram session at data/pulse.session")
    _session_at(telegram)
    assert (await _told(unreachable)).startswith(
        "cannot reach Telegram (MTProto): something other than Telegram answered")
    assert telegram.dialled == 1


async def test_bot_api_url_then_the_lock_come_last_and_a_held_session_is_never_dialled(
    db_url: str, botapi: BotAPIServer, telegram: NotTelegram,
) -> None:
    _session_at(telegram)
    url = f"http://127.0.0.1:{closed_port()}"
    told = await _told(_settings(db_url, url), refused=HELD)
    assert told.startswith(f"cannot reach the Bot API at BOT_API_URL={url} (")
    assert told.endswith("start that server, or unset BOT_API_URL to use Telegram's")
    assert await _told(_settings(db_url, botapi.base_url), refused=HELD) == HELD
    assert telegram.dialled == 0
