"""No secret in a line a person or a log sees: real aiogram, Telethon and SQLAlchemy errors, masked as ***."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import struct
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from aiogram import Dispatcher
from aiohttp import web
from telethon.tl import functions, types

from app.commands import status_command
from app.health import check_command
from app.logs import configure_logging, settings_secrets
from app.run import check_bot, check_database
from app.wiring import StartupError
from bot.app import create_bot
from clock import VirtualClock
from sandbox.mtproto import FakeTelegram
from settings import hide_secrets, load_settings, shown_url
from tests.collector.tl_fake import API_HASH, running_client

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
PASSWORD = "Sup3rS3cret"
PHONE = "+4915112345678"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_url(port: int) -> str:
    return f"postgresql+asyncpg://pulse:{PASSWORD}@127.0.0.1:{port}/pulse"


@asynccontextmanager
async def redirecting_botapi(answer_get_me: bool = False) -> AsyncIterator[str]:
    """A "Bot API" that redirects requests to itself: aiohttp gives up with the URL, token included,
    in its error text, which aiogram passes on. `answer_get_me` lets polling start."""

    async def loop(request: web.Request) -> web.Response:
        if answer_get_me and request.path.endswith("/getMe"):
            return web.json_response({"ok": True, "result": {
                "id": 123456789, "is_bot": True, "first_name": "Pulse", "username": "pulse_bot"}})
        raise web.HTTPFound(str(request.url))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", loop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def test_the_pattern_hides_url_passwords_and_bot_paths_and_leaves_the_rest() -> None:
    shown = "at postgresql+asyncpg://pulse:***@127.0.0.1:5432/pulse now"
    assert hide_secrets(f"at {pg_url(5432)} now") == shown
    assert hide_secrets(f"url='http://h:8081/bot{TOKEN}/getMe'") == "url='http://h:8081/bot***/getMe'"
    for plain in ("http://host:8080/a@b", "mail ada@example.com at 12:30", "sqlite+aiosqlite:///data/pulse.db"):
        assert hide_secrets(plain) == plain


async def test_a_postgresql_server_that_refuses_is_named_without_its_password() -> None:
    pytest.importorskip("asyncpg")
    with pytest.raises(StartupError) as caught:
        await check_database(pg_url(closed_port()))
    line = str(caught.value)
    assert PASSWORD not in line
    assert line.startswith("cannot open the database postgresql+asyncpg://pulse:***@127.0.0.1:")
    # Advice for a server, not SQLite's folder.
    assert "writable" not in line and "server is running" in line and "password" in line


@pytest.mark.parametrize("command", ["status", "status --check"])
async def test_status_and_the_health_check_name_a_refusing_server_without_its_password(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every command opens the database through one place (app/database.py), so each hides the
    password and gives a server's advice."""
    pytest.importorskip("asyncpg")
    settings = load_settings(env_file=None, database_url=pg_url(closed_port()))
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    if command == "status":
        code = await status_command(settings, as_json=False, now=now)
    else:
        code = await check_command(settings, now)
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    assert code == 1 and len(lines) == 1, lines
    prefix = "status: " if command == "status" else "unhealthy: "
    assert lines[0].startswith(prefix + "cannot open the database postgresql+asyncpg://pulse:***@127.0.0.1:")
    assert PASSWORD not in lines[0] and "server is running" in lines[0]


async def test_a_missing_postgresql_driver_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as on an install without the extra
    with pytest.raises(StartupError) as caught:
        await check_database(pg_url(5432))
    line = str(caught.value)
    assert PASSWORD not in line and "pulse:***@127.0.0.1:5432" in line
    assert "pip install '.[postgres]'" in line and "writable" not in line


async def test_an_unreachable_bot_api_is_told_without_the_token(db_url: str) -> None:
    async with redirecting_botapi() as base:
        settings = load_settings(env_file=None, bot_token=TOKEN, bot_api_url=base, database_url=db_url)
        line = await check_bot(settings)
    assert line is not None and line.startswith(f"cannot reach the Bot API at BOT_API_URL={base}")
    assert TOKEN not in line and TOKEN.split(":")[1] not in line
    assert "/bot***/getMe" in line


@pytest.mark.parametrize("configured", [True, False], ids=["token-configured", "token-unknown"])
async def test_aiogram_polling_errors_reach_the_log_without_the_token(db_url: str, configured: bool) -> None:
    out = io.StringIO()
    async with redirecting_botapi(answer_get_me=True) as base:
        settings = load_settings(env_file=None, bot_token=TOKEN, bot_api_url=base, database_url=db_url)
        # Unknown: a token the redaction was not told about (another bot's, a test's) is still hidden.
        configure_logging("INFO", "text", settings_secrets(settings) if configured else [], stream=out)
        bot = create_bot(settings)
        dp = Dispatcher()
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
        try:
            async with asyncio.timeout(30):
                while "Failed to fetch updates" not in out.getvalue():  # noqa: ASYNC110 - aiogram's own log
                    await asyncio.sleep(0.05)
        finally:
            await dp.stop_polling()
            await polling
            await bot.session.close()
    text = out.getvalue()
    assert "TooManyRedirects" in text  # aiogram's real record, with aiohttp's real error text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "***" in text


async def test_a_telethon_record_carrying_the_api_hash_and_a_phone_is_masked(now: datetime) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", "text", [API_HASH], stream=out)
    fake = FakeTelegram(VirtualClock(now))
    # Telethon logs the whole request when it cannot serialize one (here an api_id past 32 bits).
    request = functions.auth.SendCodeRequest(PHONE, 2**40, API_HASH, types.CodeSettings())
    async with running_client(fake) as client:
        with pytest.raises(struct.error):
            await client(request)
    text = out.getvalue()
    assert "Request caused struct.error" in text and "SendCodeRequest" in text
    assert API_HASH not in text and PHONE[1:] not in text
    assert "api_hash='***'" in text and "+***" in text


def test_the_database_password_is_among_the_secrets_of_the_settings(db_url: str) -> None:
    settings = load_settings(env_file=None, database_url=pg_url(5432))
    assert PASSWORD in settings_secrets(settings)
    out = io.StringIO()
    configure_logging("INFO", "json", settings_secrets(settings), stream=out)
    # However a library words it: bare, or in a URL of any scheme.
    logging.getLogger("sqlalchemy.pool").warning("password %s refused", PASSWORD)
    logging.getLogger("x").warning("proxy socks5://me:hunter2hunter@10.0.0.1:1080 down")
    text = out.getvalue()
    assert PASSWORD not in text and "hunter2hunter" not in text
    assert text.count("***") == 2


def test_a_url_sqlalchemy_cannot_read_still_has_its_password_hidden() -> None:
    bad_port = f"postgresql+asyncpg://pulse:{PASSWORD}@db:port/pulse"
    assert shown_url(bad_port) == "postgresql+asyncpg://pulse:***@db:port/pulse"
    settings = load_settings(env_file=None, database_url=bad_port, bot_api_url="http://botapi:port")
    assert settings_secrets(settings) == []  # no crash at start-up; the URL pattern still hides it
