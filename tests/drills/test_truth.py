"""The drills' yardstick can fail: a lost, an invented or a misdated post is caught."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clock import VirtualClock
from sandbox.collector import sandbox_collector
from tests.collector.helpers import fetched_per_run
from tests.drills.harness import check_against_truth


@pytest.fixture
async def collected(engine: AsyncEngine, now: datetime, tmp_path: Path) -> tuple[Path, datetime]:
    clock = VirtualClock(now)
    collector, _ = sandbox_collector(engine, clock)
    collector.wake_hook = lambda: None
    await collector.enqueue(["@pulse_news"], added_by=None)
    await collector.drain()
    return tmp_path / "pulse.db", clock.now()


def _edit(db: Path, sql: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql)


async def test_a_faithful_collection_matches(collected: tuple[Path, datetime], engine: AsyncEngine) -> None:
    db, at = collected
    [fetched] = await fetched_per_run(engine)
    assert fetched >= 45  # a page of 50 messages, less the service messages among them
    assert await asyncio.to_thread(check_against_truth, db, "pulse_news", at) == fetched


async def test_a_lost_post_is_caught(collected: tuple[Path, datetime]) -> None:
    db, at = collected
    await asyncio.to_thread(_edit, db, "DELETE FROM posts WHERE message_id = "
                                       "(SELECT message_id FROM posts ORDER BY message_id LIMIT 1 OFFSET 20)")
    with pytest.raises(AssertionError, match="posts lost"):
        await asyncio.to_thread(check_against_truth, db, "pulse_news", at)


async def test_a_misdated_post_is_caught(collected: tuple[Path, datetime]) -> None:
    db, at = collected
    await asyncio.to_thread(_edit, db, "UPDATE posts SET date = '2020-01-01 00:00:00.000000' "
                                       "WHERE message_id = (SELECT MAX(message_id) FROM posts)")
    with pytest.raises(AssertionError):
        await asyncio.to_thread(check_against_truth, db, "pulse_news", at)
