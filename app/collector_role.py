"""`python main.py collector`: one Telegram account's collector process. A procrastinate worker takes
its account's `collect_channel` jobs one at a time and runs each channel as `run` does (the same gate,
ledger and pacing, 8 s between channels); what admins should hear goes to the bot's queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from app.liveness import TICK, Liveness, stale_limits
from app.wiring import Wiring
from clock import RealClock
from collector.queue_connection import QueueConnector
from collector.queued_notifier import QueuedNotifier
from collector.service import Collector
from collector.tasks import build_task_app, queue_for
from collector.worker import QueueWorker
from storage.heartbeats import collector_component
from storage.migrate import open_database
from storage.outage import DatabaseOutage

log = logging.getLogger("app.collector")


async def serve_collector(wiring: Wiring, stop: asyncio.Event, say: Callable[[str], None]) -> int:
    """Work the account's queue until `stop`; the in-hand channel's run is recorded as cancelled
    and the channel queued again."""
    assert wiring.source is not None and wiring.gate is not None
    settings = wiring.settings
    queue = queue_for(wiring.gate.account)  # the account start-up signed in as
    engine = await open_database(settings.database_url)
    outage = DatabaseOutage("the collector")  # one line per outage, whichever loop meets it first
    task_app = build_task_app(settings.database_url, outage)
    connector = task_app.connector
    assert isinstance(connector, QueueConnector)
    # Alive while its loop writes: a channel run may wait out a long FloodWait, so the limit is the
    # one a `run` collection round has.
    limit = stale_limits(settings)["collection"]
    beat_row = collector_component(settings.telegram_session)
    liveness = Liveness(RealClock(), {beat_row: max(limit, 4 * TICK)}, ticker=beat_row, outage=outage)
    try:
        async with task_app.open_async():
            collector = Collector(engine, wiring.source, wiring.gate, wiring.clock, QueuedNotifier(task_app),
                                  settings.collect_interval_minutes, outage=outage)
            worker = QueueWorker(collector, task_app, engine, queue)
            say(f"ChannelPulse collector on queue {queue}: taking its channels one at a time "
                f"(the bot process schedules them and tells admins)")
            beat = asyncio.create_task(_beat(liveness, engine))
            working = asyncio.create_task(worker.run())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
            await connector.stop_waiting()  # a stop during an outage must not wait for the database
            for task in (stopping, working, beat):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await working  # surfaces an error the worker died of
            await asyncio.gather(beat, return_exceptions=True)
            await liveness.forget(engine)
    finally:
        await engine.dispose()
    if outage.down:
        log.warning("collector stopped while the database is unreachable: a channel it had in hand is "
                    "queued again a minute after the database is back")
    else:
        log.info("collector stopped cleanly")
    return 0


async def _beat(liveness: Liveness, engine: AsyncEngine) -> None:
    while True:
        await liveness.record(engine)
        await asyncio.sleep(TICK.total_seconds())  # the heartbeat's wall-clock tick, not pacing



