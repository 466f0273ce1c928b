"""A database that went away is told once, however many loops meet it, and is told apart from a
statement's own error; a live database is not waited for."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.outage import DatabaseOutage, is_lost, wait_until_back


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "storage.outage"]


def test_an_outage_is_one_line_going_and_one_coming_back(caplog: pytest.LogCaptureFixture) -> None:
    outage = DatabaseOutage("the collector")
    with caplog.at_level(logging.WARNING, logger="storage.outage"):
        for _ in range(5):  # the heartbeat, the queue's listener, the run in hand ...
            outage.lost(ConnectionRefusedError(111, "Connect call failed"))
        outage.back()
        outage.back()
    [gone, back] = _lines(caplog)
    assert "the database is unreachable (" in gone and "Connect call failed" in gone
    assert "the collector waits for it" in gone and "check that PostgreSQL is running" in gone
    assert back == "the database answers again: the collector carries on"


def test_settled_only_a_while_after_the_database_came_back() -> None:
    now = [100.0]
    outage = DatabaseOutage("the bot", monotonic=lambda: now[0])
    assert outage.settled(60)
    outage.lost(OSError("gone"))
    assert not outage.settled(60)
    outage.back()
    now[0] += 59
    assert not outage.settled(60)
    now[0] += 1
    assert outage.settled(60)


async def test_a_statement_error_on_a_live_database_is_not_an_outage(engine: AsyncEngine) -> None:
    with pytest.raises(DBAPIError) as raised:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))
    assert not await is_lost(engine, raised.value)
    assert not await is_lost(engine, ValueError("not the database's"))


async def test_a_server_that_does_not_answer_is_an_outage() -> None:
    with socket.socket() as taken:  # bound, never listening: a port that refuses, as a stopped server's
        taken.bind(("127.0.0.1", 0))
        engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{taken.getsockname()[1]}/pulse")
        await _refused(engine)


async def _refused(engine: AsyncEngine) -> None:
    try:
        with pytest.raises(OSError) as raised:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert await is_lost(engine, raised.value)
    finally:
        await engine.dispose()


async def test_waiting_for_a_live_database_returns_at_once(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    outage = DatabaseOutage("the collector")
    with caplog.at_level(logging.WARNING, logger="storage.outage"):
        await wait_until_back(engine, outage, OSError("a blip"), sleep=sleep)
    assert slept == [] and not outage.down
    assert len(_lines(caplog)) == 2  # it was gone a moment, and is back
