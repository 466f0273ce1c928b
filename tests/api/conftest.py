"""The API app over a migrated SQLite database seeded with @pulse (tests/analytics/conftest.py), on a
virtual clock at the fixtures' `now`, driven through httpx's ASGITransport."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
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
ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 60  # seconds: only against a hang, never a measure of speed


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


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS` as a user runs it."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=env, capture_output=True,
                          text=True, timeout=HANG_GUARD)


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python main.py api` on a free port, once it says it listens; (its address, the process)."""
    port = free_port()
    # Warnings and errors only: the access log of many requests would fill the unread pipe.
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "api"], stderr=subprocess.PIPE, text=True,
        env={**env, "API_PORT": str(port), "LOG_LEVEL": "WARNING", "API_RATE_PER_MINUTE": "100000"})
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the line it prints once it listens
            if "listening on" in line:
                break
        else:
            pytest.fail(f"`api` ended without listening (exit {proc.wait(HANG_GUARD)})")
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(HANG_GUARD)
