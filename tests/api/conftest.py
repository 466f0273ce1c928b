"""The API app over a migrated SQLite database seeded with @pulse (tests/analytics/conftest.py), on a
virtual clock at the fixtures' `now`, driven through httpx's ASGITransport."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.factory import create_app
from clock import VirtualClock
from settings import Settings, load_settings
from storage.api_tokens import ApiTokenRepo, new_token
from storage.db import write
from tests.analytics.conftest import pulse  # noqa: F401 - the seeded channel, as a fixture here too

RATE = 1000  # per minute: high enough that only the rate-limit tests meet it


@pytest.fixture(autouse=True)
def _no_api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("API_"):
            monkeypatch.delenv(name)


@pytest.fixture
def clock(now: datetime) -> VirtualClock:
    return VirtualClock(now)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(env_file=None, database_url=db_url, telegram_session=tmp_path / "pulse.session",
                         api_rate_per_minute=RATE)


@pytest.fixture
def app(engine: AsyncEngine, settings: Settings, clock: VirtualClock) -> FastAPI:
    return create_app(engine, settings, clock)


async def issue(engine: AsyncEngine, name: str, now: datetime) -> str:
    token = new_token()
    async with write(engine) as conn:
        assert await ApiTokenRepo(conn).create(name, token, now) is not None
    return token


@pytest.fixture
async def token(engine: AsyncEngine, now: datetime) -> str:
    return await issue(engine, "tests", now)


def asgi_client(app: FastAPI, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # raise_app_exceptions off: a 500 is what a client would see, and what the tests check.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api.test", headers=headers)


@pytest.fixture
async def client(app: FastAPI, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, token) as c:
        yield c


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
