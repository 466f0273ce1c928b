"""Shared fixtures: a migrated file database per test and a fixed `now`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import open_database

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'pulse.db'}"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await open_database(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's .env or environment settings."""
    monkeypatch.chdir(tmp_path)
    prefixes = ("MTPROTO_", "TELEGRAM_", "BOT_", "ADMIN_", "DATABASE_", "DIGEST_", "LOG_", "API_")
    for name in list(os.environ):
        if name.startswith(prefixes):
            monkeypatch.delenv(name)
