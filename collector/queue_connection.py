"""The job queue's hold on PostgreSQL across a server restart.

procrastinate's pool already replaces a dead connection before handing it out, and waits for a new
one while the server is gone; what it does not survive is its LISTEN connection failing to connect
again (the worker then only polls) or its worker loop meeting the outage (the worker stops). Here the
LISTEN connection is opened again once the server answers, and a worker that stopped on a lost
database is started again, each outage told in one line (storage/outage.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.connector import Notify
from procrastinate.exceptions import ConnectorException

from storage.outage import PROBE_SECONDS, DatabaseOutage

log = logging.getLogger("collector.queue")

WAIT_FOR_CONNECTION_SECONDS = 3600.0
STOPPING_WAIT_SECONDS = 2.0


class QueueConnector(PsycopgConnector):
    """procrastinate's psycopg connector, whose LISTEN connection comes back after an outage."""

    def __init__(self, *, conninfo: str, outage: DatabaseOutage) -> None:
        # A query waits for a connection while the server is gone (the pool keeps trying), instead
        # of failing after psycopg_pool's 30 s and stopping the worker's heartbeat or its loop.
        super().__init__(conninfo=conninfo, timeout=WAIT_FOR_CONNECTION_SECONDS)
        self.outage = outage
        self.stopping = False

    async def stop_waiting(self) -> None:
        """The process is stopping: a query now fails soon when the database is gone instead of
        waiting for it, so a stop during an outage ends (with the database there, procrastinate's
        worker still finishes its job and signs off through the pool)."""
        self.stopping = True
        try:
            pool = self.pool
        except RuntimeError:  # never opened: nothing waits
            return
        pool.timeout = STOPPING_WAIT_SECONDS
        if self.outage.down:
            # Queries already waiting (the worker's poll, its heartbeat) fail now, not in an hour.
            await pool.close(timeout=0)

    async def listen_notify(self, on_notification: Notify, channels: Iterable[str]) -> None:
        channels = list(channels)
        while True:
            try:
                await super().listen_notify(on_notification=on_notification, channels=channels)
            except ConnectorException as exc:  # the server went away and refuses the new connection
                self.outage.lost(connection_error(exc))
            await self.until_answers()
            self.outage.back()

    async def until_answers(self) -> None:
        """Return once the database runs a query again (the pool waits for a connection meanwhile)."""
        while True:
            try:
                await self.execute_query_one_async("SELECT 1 AS answers")
                return
            except ConnectorException as exc:
                self.outage.lost(connection_error(exc))
            # Polling the server on the wall clock: the queue has nothing to do until it answers.
            await asyncio.sleep(PROBE_SECONDS)


async def work_queue(app: App, **worker: Any) -> None:
    """procrastinate's worker (`run_worker_async(**worker)`) until cancelled, started again when it
    stops on a lost database. The app's connector is a QueueConnector."""
    connector = app.connector
    assert isinstance(connector, QueueConnector)
    name = worker.get("name", "queue worker")
    while True:
        try:
            await app.run_worker_async(**worker)
            if connector.stopping:
                return
            # Ends by itself only when one of its side loops (heartbeat, listener) failed.
            log.warning("%s stopped by itself; started again", name)
            await asyncio.sleep(PROBE_SECONDS)  # wall clock: not at once, should it keep stopping
        except ConnectorException as exc:
            if connector.stopping:
                # Stopped during an outage: the job in hand stays "doing" until a live process takes
                # it for stalled, a minute after the database is back (tasks.retry_stalled).
                log.warning("%s stopped while the database is unreachable (%s)", name, connection_error(exc))
                return
            connector.outage.lost(connection_error(exc))
        await connector.until_answers()
        connector.outage.back()


def connection_error(exc: ConnectorException) -> BaseException:
    """The lost connection's error under procrastinate's; any other error is not an outage: raised."""
    if isinstance(exc.__cause__, psycopg.OperationalError):  # refused, terminated, pool timed out
        return exc.__cause__
    raise exc
