"""A channel's summary answered again from memory while its data is unchanged, and afresh after a new
collection run, while a run is writing, or once the time limit has passed since the answer's `now`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from api.factory import create_app
from clock import VirtualClock
from settings import Settings
from storage.channels import ChannelRepo
from storage.db import write
from storage.models import Post, RunResult
from storage.posts import PostRepo
from storage.runs import RunRepo
from tests.analytics.conftest import t
from tests.api.conftest import asgi_client

pytestmark = pytest.mark.usefixtures("pulse")
SUMMARY = "/api/v1/channels/pulse/summary"
NEWEST_FIXTURE_RUN = t("2026-03-02 17:00")
D30 = {"window": "30d"}  # no fixture post near its start, so a minute's move keeps the same posts
FINISHED = t("2026-03-02 11:59")  # before the clock's now, so the window reads up to it


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs from now on."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", note)


def reads_posts(seen: list[str]) -> bool:
    return any("posts" in s for s in seen)


async def start_run_with_post(engine: AsyncEngine, pulse: int, clock: VirtualClock, views: int) -> int:
    """As the collector does: a run begins and stores a new post in the 7d window; its id. (The
    fixture records a run at each snapshot's time, the last at 03-02 17:00: the new run is the newest
    by its start, as the collector's runs are.)"""
    async with write(engine) as conn:
        run_id = await RunRepo(conn).start(pulse, max(clock.now(), NEWEST_FIXTURE_RUN) + timedelta(seconds=1))
    async with write(engine) as conn:
        await PostRepo(conn).upsert(Post(pulse, 20, t("2026-03-02 11:20"), views=views), clock.now())
    return run_id


async def finish_run(engine: AsyncEngine, pulse: int, run_id: int, clock: VirtualClock) -> None:
    async with write(engine) as conn:
        await ChannelRepo(conn).update(pulse, last_collected_at=FINISHED)
        await RunRepo(conn).finish(run_id, RunResult(new=1), FINISHED)


async def test_a_second_request_is_answered_from_memory(
    client: httpx.AsyncClient, statements: list[str]
) -> None:
    first = await client.get(SUMMARY, params={"window": "7d"})
    assert first.status_code == 200 and first.json()["current"]["posts"] > 0
    assert reads_posts(statements)
    statements.clear()
    again = await client.get(SUMMARY, params={"window": "7d"})
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["content-type"] == "application/json"
    assert not reads_posts(statements)  # no figure recomputed
    statements.clear()
    other = await client.get(SUMMARY, params={"window": "30d"})  # another window: its own answer
    assert other.json()["window"] == "30d" and reads_posts(statements)


async def test_an_answer_from_memory_still_reads_the_token_and_the_channel_afresh_in_one_read(
    client: httpx.AsyncClient, engine: AsyncEngine, statements: list[str]
) -> None:
    checkouts: list[object] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *_: checkouts.append(None))
    first = await client.get(SUMMARY, params={"window": "7d"})
    checkouts.clear()
    statements.clear()
    again = await client.get(SUMMARY, params={"window": "7d"})
    assert again.status_code == 200 and again.json() == first.json()
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(checkouts) == 1 and len(selects) == 2  # one connection: the live tokens, the channel
    assert "api_tokens" in selects[0] and "runs" in selects[1]  # with its newest run


async def test_a_new_collection_run_gives_a_fresh_answer(
    client: httpx.AsyncClient, engine: AsyncEngine, pulse: int, clock: VirtualClock
) -> None:
    before = (await client.get(SUMMARY)).json()  # the clock stays: only the data changes
    run_id = await start_run_with_post(engine, pulse, clock, views=500)
    during = (await client.get(SUMMARY)).json()
    assert during["current"]["posts"] == before["current"]["posts"] + 1
    async with write(engine) as conn:  # the run stores another post: while it writes, never from memory
        await PostRepo(conn).upsert(Post(pulse, 21, t("2026-03-02 11:25"), views=300), clock.now())
    later = (await client.get(SUMMARY)).json()
    assert later["current"]["posts"] == before["current"]["posts"] + 2
    await finish_run(engine, pulse, run_id, clock)
    after = (await client.get(SUMMARY)).json()
    assert after["current"]["posts"] == before["current"]["posts"] + 2
    assert after["last_collected_at"] == FINISHED.isoformat() != before["last_collected_at"]


async def test_a_run_that_failed_after_storing_posts_gives_a_fresh_answer(
    client: httpx.AsyncClient, engine: AsyncEngine, pulse: int, clock: VirtualClock
) -> None:
    before = (await client.get(SUMMARY)).json()
    run_id = await start_run_with_post(engine, pulse, clock, views=500)
    async with write(engine) as conn:  # the channel is not marked collected: only the run record ends
        await RunRepo(conn).finish(run_id, RunResult(new=1, error="connection lost"), FINISHED)
    after = (await client.get(SUMMARY)).json()
    assert after["current"]["posts"] == before["current"]["posts"] + 1
    assert after["last_collected_at"] == before["last_collected_at"]


async def test_an_answer_is_kept_at_most_the_time_limit(
    client: httpx.AsyncClient, engine: AsyncEngine, pulse: int, clock: VirtualClock, settings: Settings
) -> None:
    assert settings.api_summary_cache_seconds == 60  # the default
    first = (await client.get(SUMMARY, params=D30)).json()
    assert first["now"] == clock.now().isoformat()
    # Data written outside any run (none does so in the app; here it shows which answer is served).
    async with write(engine) as conn:
        await PostRepo(conn).upsert(Post(pulse, 20, t("2026-03-02 11:20"), views=500), clock.now())
    clock.advance(60)
    kept = (await client.get(SUMMARY, params=D30)).json()
    assert kept == first  # exact as of the `now` it carries, 60 s ago
    clock.advance(1)
    fresh = (await client.get(SUMMARY, params=D30)).json()
    assert fresh["now"] == clock.now().isoformat()
    assert fresh["current"]["posts"] == first["current"]["posts"] + 1


async def test_zero_seconds_turns_it_off(
    engine: AsyncEngine, settings: Settings, clock: VirtualClock, token: str, statements: list[str]
) -> None:
    app: FastAPI = create_app(engine, settings.model_copy(update={"api_summary_cache_seconds": 0}), clock)
    async with asgi_client(app, token) as client:
        for _ in range(2):
            statements.clear()
            assert (await client.get(SUMMARY)).status_code == 200
            assert reads_posts(statements)
