"""The dashboard under test: the API app (pages and all) over the seeded @pulse and a second channel
@echo, reached by httpx in-process or, for the browser tests, served on a free port of 127.0.0.1
beside the real bot polling the sandbox Bot API server (tests/bot/conftest.py), so a test logs in
through the link `/dashboard` really sends."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.factory import create_app
from api.server import ApiServer
from clock import VirtualClock
from sandbox.botapi import DEFAULT_TOKEN, BotAPIServer
from settings import Settings, load_settings
from storage.dashboard_auth import issue_login
from tests.analytics.conftest import (
    COLLECTED,
    P,
    add_channel,
    add_posts,
    add_subscribers,
    pulse,  # noqa: F401 - the seeded channel, as a fixture here too
    t,
)
from tests.api.conftest import asgi_client, free_port
from tests.bot.conftest import ADMIN, OTHER_ADMIN, botapi, running  # noqa: F401 - fixtures used here

ROOT = Path(__file__).resolve().parents[2]
# Screenshots the browser tests take, kept for a person to look at (git-ignored; README, "Dashboard").
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]
LINK = re.compile(r"https?://\S+/dashboard/login\?t=[\w-]+")

ECHO_POSTS = (
    P(101, "2026-02-24 18:00", 300, forwards=3, reactions=9),
    P(102, "2026-02-26 18:00", 500, forwards=5, reactions=20),
    P(103, "2026-03-01 18:00", 400, forwards=2, reactions=12),
)
ECHO_SUBSCRIBERS = (("2026-02-23 09:00", 4000), ("2026-02-27 09:00", 4100), ("2026-03-02 11:00", 4200))


@pytest.fixture
async def echo(engine: AsyncEngine) -> int:
    """A second collected channel, for the list and the compare page."""
    cid = await add_channel(engine, "echo", COLLECTED)
    await add_posts(engine, cid, ECHO_POSTS)
    for at, count in ECHO_SUBSCRIBERS:
        await add_subscribers(engine, cid, t(at), count)
    return cid


@pytest.fixture
def clock(now: datetime) -> VirtualClock:
    return VirtualClock(now)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(botapi: BotAPIServer, db_url: str, port: int) -> Settings:  # noqa: F811 - botapi
    """The bot's test settings, with the API on `port` so the bot's links point at it."""
    return load_settings(
        env_file=None, bot_token=DEFAULT_TOKEN, admin_ids=[ADMIN, OTHER_ADMIN], bot_api_url=botapi.base_url,
        database_url=db_url, digest_timezone="Europe/Berlin", api_port=port, api_rate_per_minute=1000,
    )


@pytest.fixture
def app(engine: AsyncEngine, settings: Settings, clock: VirtualClock) -> FastAPI:
    return create_app(engine, settings, clock)


@pytest.fixture
async def browser_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client that keeps cookies, as a browser does."""
    async with asgi_client(app) as c:
        yield c


async def log_in(client: httpx.AsyncClient, engine: AsyncEngine, now: datetime) -> httpx.Response:
    secret = await issue_login(engine, now)
    return await client.get(f"/dashboard/login?t={secret}")


@pytest.fixture
async def served(app: FastAPI, settings: Settings) -> AsyncIterator[str]:
    """The app on 127.0.0.1:`port`; its address."""
    server = ApiServer(app, "127.0.0.1", settings.api_port or 0)
    await server.start()
    try:
        yield server.address
    finally:
        await server.stop()


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (make test installs Debian's chromium with apt as root)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    """A page of a fresh headless Chromium (Debian's binary, a new profile), never a downloaded one."""
    reason = chromium_missing()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.async_api import async_playwright

    profile = tempfile.mkdtemp(prefix="cp-chromium-")
    try:
        async with async_playwright() as pw:
            context = await pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900},
            )
            try:
                tab = context.pages[0] if context.pages else await context.new_page()
                yield tab
            finally:
                await context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


async def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
