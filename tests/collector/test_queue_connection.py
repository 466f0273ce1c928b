"""The queue worker of a split role outlives the database going away: procrastinate's worker stopped
by a lost connection is started again once the database answers, with one line each way; an error
that is not a lost connection still surfaces."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
import pytest
from procrastinate.exceptions import ConnectorException

from collector.queue_connection import work_queue
from collector.tasks import build_task_app
from storage.outage import DatabaseOutage


def _connector_error(cause: Exception) -> ConnectorException:
    try:
        raise ConnectorException() from cause
    except ConnectorException as exc:
        return exc


class FakeWorker:
    """procrastinate's run_worker_async: fails with the given errors, then works until cancelled."""

    def __init__(self, *failures: Exception) -> None:
        self.failures, self.runs = list(failures), []
        self.answered = 0
        self.working = asyncio.Event()

    async def run_worker_async(self, **worker: Any) -> None:
        self.runs.append(worker)
        if self.failures:
            raise self.failures.pop(0)
        self.working.set()
        await asyncio.Event().wait()

    async def until_answers(self) -> None:
        self.answered += 1


@pytest.fixture
def outage() -> DatabaseOutage:
    return DatabaseOutage("the collector")


def _app(monkeypatch: pytest.MonkeyPatch, outage: DatabaseOutage, fake: FakeWorker) -> Any:
    app = build_task_app("postgresql+asyncpg://postgres@127.0.0.1:1/pulse", outage)  # never opened
    monkeypatch.setattr(app, "run_worker_async", fake.run_worker_async)
    monkeypatch.setattr(app.connector, "until_answers", fake.until_answers)
    return app


async def test_a_worker_stopped_by_a_lost_database_is_started_again(
    monkeypatch: pytest.MonkeyPatch, outage: DatabaseOutage, caplog: pytest.LogCaptureFixture,
) -> None:
    lost = _connector_error(psycopg.OperationalError("server closed the connection unexpectedly"))
    fake = FakeWorker(lost)
    with caplog.at_level(logging.WARNING):
        app = _app(monkeypatch, outage, fake)
        task = asyncio.create_task(work_queue(app, name="collector q", queues=["q"]))
        async with asyncio.timeout(60):  # a hang guard only
            await fake.working.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert fake.runs == [{"name": "collector q", "queues": ["q"]}] * 2
    assert fake.answered == 1 and not outage.down
    lines = [r.getMessage() for r in caplog.records if r.name == "storage.outage"]
    assert len(lines) == 2
    assert "server closed the connection unexpectedly" in lines[0]
    assert lines[1] == "the database answers again: the collector carries on"


async def test_an_error_that_is_not_a_lost_connection_surfaces(
    monkeypatch: pytest.MonkeyPatch, outage: DatabaseOutage,
) -> None:
    broken = _connector_error(psycopg.errors.UndefinedTable("relation procrastinate_jobs does not exist"))
    fake = FakeWorker(broken)
    with pytest.raises(ConnectorException):
        await work_queue(_app(monkeypatch, outage, fake), name="collector q")
    assert len(fake.runs) == 1 and not outage.down
